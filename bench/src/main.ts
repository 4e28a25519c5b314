/**
 * npm run bench: benchmarks that print tables and write bench/results/<name>.json.
 * Never part of the pass/fail suite.
 *
 * Usage: npm run bench                      every benchmark, in the order below
 *        npm run bench -- <name> [<name>]   only these (planner, rollout-loss, reaction, scale, dataplane, health-read)
 *        npm run bench -- rollout-loss --profile <name>   the rollout under another timing profile
 *                                           (embedded, aws-nlb, azure-slb, gcp-proxy-nlb)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { TIMING_PROFILES } from '@sluice/testbed/scenario';

/** One benchmark: runs, prints its tables, returns what goes to bench/results/<name>.json. */
type Bench = () => Promise<unknown>;

// Each entry is imported only when run, so one benchmark's tools are not needed by another.
const BENCHES: Record<string, Bench> = {
  planner: async () => {
    const m = await import('./planner.bench.ts');
    m.runPlannerBench();
    m.runDecideBench();
  },
  'rollout-loss': async () => (await import('./rollout-loss/index.ts')).runRolloutLossBench(profileOption()),
  reaction: async () => (await import('./reaction/index.ts')).runReactionBench(),
  scale: async () => (await import('./scale/index.ts')).runScaleBench(),
  dataplane: async () => (await import('./dataplane/index.ts')).runDataplaneBench(),
  'health-read': async () => (await import('./health-read/index.ts')).runHealthReadBench(),
};

/** Flags that take a value, and the value each was given. */
const VALUE_FLAGS = new Set(['--profile']);
const args = process.argv.slice(2);
const values = new Map<string, string>();
const names: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (VALUE_FLAGS.has(a)) values.set(a, args[++i] ?? '');
  else if (!a.startsWith('--')) names.push(a);
}

function profileOption(): { profile?: (typeof TIMING_PROFILES)[string] } {
  const name = values.get('--profile');
  if (name === undefined) return {};
  const profile = TIMING_PROFILES[name];
  if (!profile) throw new Error(`--profile "${name}" is not a timing profile: allowed are ${Object.keys(TIMING_PROFILES).join(', ')}.`);
  return { profile };
}

const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark "${unknown[0]}": allowed are ${Object.keys(BENCHES).join(', ')}.\n`);
  process.exit(2);
}
const chosen = names.length > 0 ? names : Object.keys(BENCHES);
const resultsDir = new URL('../results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
process.stdout.write(`node ${process.version}, ${process.arch}; benchmarks: ${chosen.join(', ')}\n`);
const started = performance.now();
let failed = 0;
for (const name of chosen) {
  const t = performance.now();
  try {
    const result = await BENCHES[name]!();
    if (result !== undefined) writeFileSync(new URL(`${name}.json`, resultsDir), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n[${name}] done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failed++;
    process.stderr.write(`\n[${name}] failed: ${(error as Error)?.stack ?? String(error)}\n`);
  }
}
process.stdout.write(`\nall benchmarks: ${((performance.now() - started) / 60_000).toFixed(1)} min, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
