/**
 * rollout-loss: how many requests a rolling update loses, with Sluice's readiness gate and
 * drain, with only one of them, and with neither.
 *
 * One real control plane (kube-apiserver, etcd, kube-controller-manager), the pod network and
 * one simulated node serve the whole bench. Per mode, one `sluice --provider local` process
 * runs with that mode's flags; per SIGTERM behaviour of the app, a fresh namespace holds a
 * Deployment of `replicas` pods behind a `type: LoadBalancer` Service on its own port. Under a
 * paced load of new and keep-alive connections through the embedded load balancer (the e2e
 * load generator, on a thread of its own), the Deployment is restarted `rollouts` times back
 * to back (the e2e rollout scenario, without its scale down and up). Every request that fails
 * is counted, by cause.
 *
 * Sluice's promise is that its row loses nothing: the bench throws (and `npm run bench` exits
 * non-zero) when it does. Timings are reported, never asserted.
 */

import { consoleLogger } from '@sluice/testbed/harness';
import {
  checkProfile,
  describeProfile,
  EMBEDDED_PROFILE,
  type Environment,
  LOCAL_PROVIDER,
  type ProviderUnderTest,
  percentile,
  runProviderRollout,
  startEnvironment,
  type TimingProfile,
} from '@sluice/testbed/scenario';
import { printTable, type Table } from '../table.ts';
import { startLoadThread } from './load-thread.ts';
import { describeRolloutMachine, loadAverage, type RolloutMachine } from './machine.ts';
import { BEHAVIOURS, type Behaviour, COMMON_FLAGS, MODES, type Mode } from './modes.ts';
import { buildTables, type RolloutRow, type TableSettings } from './tables.ts';

export type { Table } from '../table.ts';
export type { RolloutMachine } from './machine.ts';
export type { RolloutRow } from './tables.ts';

export interface RolloutLossBenchOptions {
  /** Replicas of the Deployment. @default 10 */
  readonly replicas?: number;
  /** Consecutive rolling updates per mode and behaviour. @default 5 */
  readonly rollouts?: number;
  /** Requests per second offered, across all load workers. @default 600 */
  readonly ratePerSecond?: number;
  /**
   * Load workers opening a new connection per request. Each worker is paced at
   * `ratePerSecond / (freshWorkers + keepAliveWorkers)` (about 9 req/s with the defaults), so a
   * slow response on a busy machine delays one worker's next slot, not the whole offered rate.
   * @default 32
   */
  readonly freshWorkers?: number;
  /** Load workers on keep-alive connections. @default 32 */
  readonly keepAliveWorkers?: number;
  /** A keep-alive connection is retired after this long. @default 1000 */
  readonly maxConnectionAgeMs?: number;
  /**
   * The Deployment's `rollingUpdate.maxSurge`. Half the replicas make each rollout two steps,
   * which keeps 8 runs of 5 rollouts within about 10 minutes on 2 cores; 25% takes a third longer.
   * @default '50%'
   */
  readonly maxSurge?: number | string;
  /** The Deployment's `rollingUpdate.maxUnavailable`. @default 0 */
  readonly maxUnavailable?: number | string;
  /** The pods' preStop sleep, seconds. @default 2 */
  readonly preStopSeconds?: number;
  /** The pods' terminationGracePeriodSeconds. @default 5 */
  readonly terminationGracePeriodSeconds?: number;
  /** Which modes run, in order. @default all four */
  readonly modes?: readonly Mode['key'][];
  /** Which SIGTERM behaviours run. @default both */
  readonly behaviours?: readonly Behaviour[];
  /** The provider under test (a cloud provider runs through its twin). @default the local provider */
  readonly provider?: ProviderUnderTest;
  /** How fast the LB judges health and how it drains (`--profile <name>`). @default the embedded profile */
  readonly profile?: TimingProfile;
  /** Print the tables to stdout. @default true */
  readonly print?: boolean;
}

export interface RolloutLossResult {
  readonly name: 'rollout-loss';
  readonly machine: RolloutMachine;
  readonly settings: Required<Omit<RolloutLossBenchOptions, 'print' | 'provider' | 'profile'>> & {
    readonly controllerFlags: readonly string[];
    readonly provider: string;
    readonly profile: TimingProfile;
  };
  readonly rows: readonly RolloutRow[];
  /** Total failed requests of the Sluice rows; the bench throws unless it is 0. */
  readonly sluiceFailed: number;
  /** Total failed requests of the "neither" rows; expected above 0. */
  readonly neitherFailed: number;
  readonly tables: readonly Table[];
  readonly commands: readonly string[];
  /** Load averages when the bench ended. */
  readonly loadAverageAtEnd: readonly number[];
  readonly elapsedSeconds: number;
}

/** Runs the whole benchmark (about 10 minutes with the defaults on 2 cores); see the file comment. */
export async function runRolloutLossBench(options: RolloutLossBenchOptions = {}): Promise<RolloutLossResult> {
  const started = performance.now();
  const settings = {
    replicas: options.replicas ?? 10,
    rollouts: options.rollouts ?? 5,
    ratePerSecond: options.ratePerSecond ?? 600,
    freshWorkers: options.freshWorkers ?? 32,
    keepAliveWorkers: options.keepAliveWorkers ?? 32,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? 1000,
    maxSurge: options.maxSurge ?? '50%',
    maxUnavailable: options.maxUnavailable ?? 0,
    preStopSeconds: options.preStopSeconds ?? 2,
    terminationGracePeriodSeconds: options.terminationGracePeriodSeconds ?? 5,
    modes: options.modes ?? MODES.map((m) => m.key),
    behaviours: options.behaviours ?? BEHAVIOURS,
  };
  const provider = options.provider ?? LOCAL_PROVIDER;
  const profile = options.profile ?? EMBEDDED_PROFILE;
  checkProfile(provider, profile);
  const log = consoleLogger('bench/rollout-loss');
  const machine = await describeRolloutMachine();
  const rows: RolloutRow[] = [];
  const env: Environment = await startEnvironment(log);
  log.info(`environment up: control plane ${env.timings.controlPlaneMs} ms, pod network ${env.timings.networkMs} ms, node ${env.timings.nodeMs} ms`);
  try {
    for (const mode of MODES.filter((m) => settings.modes.includes(m.key))) {
      rows.push(...(await runMode(env, mode, settings, provider, profile, log.info)));
    }
  } finally {
    await env.stop();
  }

  const tables = buildTables(settings, rows);
  const sum = (key: Mode['key']) => rows.filter((r) => r.mode === key).reduce((n, r) => n + r.failed, 0);
  const sluiceFailed = sum('sluice');
  const neitherFailed = sum('neither');
  const ran = (key: Mode['key']) => rows.some((r) => r.mode === key);
  const verdict = [
    ran('sluice')
      ? sluiceFailed === 0
        ? `Sluice (gate + drain) lost 0 of ${rows.filter((r) => r.mode === 'sluice').reduce((n, r) => n + r.requests, 0)} requests in every run: its promise holds (this bench fails if Sluice loses any request).`
        : `Sluice (gate + drain) lost ${sluiceFailed} requests: its promise is broken, so this bench fails.`
      : '',
    ran('neither')
      ? neitherFailed > 0
        ? `neither (no gate, no drain) lost ${neitherFailed} requests: the scenario does exercise what the gate and drain prevent.`
        : 'neither (no gate, no drain) lost no request this time: the scenario did not show the failure it exists to show.'
      : '',
    rows.length > 0
      ? `offered ${settings.ratePerSecond} req/s; reached ${Math.min(...rows.map((r) => r.requestsPerSecond)).toFixed(0)}-${Math.max(...rows.map((r) => r.requestsPerSecond)).toFixed(0)} req/s across the runs (requests / load duration; the load has a thread of its own, so a shortfall points to a machine short of CPU).`
      : '',
  ].filter(Boolean);
  if (options.print ?? true) {
    const la = machine.loadAverage.join(' ');
    process.stdout.write(
      `\nrollout-loss: provider ${provider.name}, profile ${describeProfile(profile)}\nrollout-loss machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.kernel}, node ${machine.node}, ${machine.kubeApiserver}; load average at start ${la}, at end ${loadAverage().join(' ')}\n`,
    );
    for (const table of tables) printTable(table.title, table.header, table.rows);
    process.stdout.write(`\n${verdict.join('\n')}\n`);
  }
  const result: RolloutLossResult = {
    name: 'rollout-loss',
    machine,
    settings: { ...settings, controllerFlags: COMMON_FLAGS, provider: provider.name, profile },
    rows,
    sluiceFailed,
    neitherFailed,
    tables,
    commands: [
      'cd bench && node --conditions=@sluice/source src/main.ts rollout-loss   (or: npm run bench -- rollout-loss)',
      ...MODES.filter((m) => settings.modes.includes(m.key)).map(
        (m) => `sluice --provider ${provider.name} --kubeconfig <test control plane> <the provider's flags for profile ${profile.name}> ${[...COMMON_FLAGS, ...m.flags].join(' ')}   (${m.label})`,
      ),
    ],
    loadAverageAtEnd: loadAverage(),
    elapsedSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  if (sluiceFailed > 0) {
    const lost = rows.filter((r) => r.mode === 'sluice' && r.failed > 0).map((r) => `${r.sigterm}: ${r.failed} (${JSON.stringify(r.failures)})`);
    throw new Error(`rollout-loss: Sluice (gate + drain) lost requests, which it promises never to do: ${lost.join('; ')}`);
  }
  return result;
}

/** One controller for the mode (the provider's flags for the profile, then the mode's); one fresh namespace and Service port per SIGTERM behaviour. */
async function runMode(
  env: Environment,
  mode: Mode,
  settings: TableSettings,
  provider: ProviderUnderTest,
  profile: TimingProfile,
  say: (line: string) => void,
): Promise<RolloutRow[]> {
  const t = performance.now();
  const run = await runProviderRollout({
    env,
    provider,
    profile,
    behaviours: settings.behaviours,
    controllerArgs: [...COMMON_FLAGS, ...mode.flags],
    namespacePrefix: `bench-${mode.key}`,
    replicas: settings.replicas,
    rollouts: settings.rollouts,
    scaleDownAndUp: false,
    backToBack: true,
    startLoad: startLoadThread,
    load: {
      ratePerSecond: settings.ratePerSecond,
      freshWorkers: settings.freshWorkers,
      keepAliveWorkers: settings.keepAliveWorkers,
      maxConnectionAgeMs: settings.maxConnectionAgeMs,
      maxDurationMs: 900_000,
    },
    workload: {
      maxSurge: settings.maxSurge,
      maxUnavailable: settings.maxUnavailable,
      preStopSeconds: settings.preStopSeconds,
      terminationGracePeriodSeconds: settings.terminationGracePeriodSeconds,
    },
    say: (line) => say(`${mode.key}: ${line}`),
  });
  return run.runs.map((r) => {
    const settleMs = r.settleMs ?? 0;
    const totalRolloutMs = r.rolloutsMs.reduce((a, b) => a + b, 0) + settleMs;
    say(`${mode.key}/${r.sigterm}: ${r.requests} requests, ${r.failed} failed ${JSON.stringify(r.failures)}, rollouts ${r.rolloutsMs.join(' ')} ms, settle ${settleMs} ms`);
    return {
      mode: mode.key,
      label: mode.label,
      flags: mode.flags,
      sigterm: r.sigterm,
      requests: r.requests,
      failed: r.failed,
      failedPercent: r.requests === 0 ? 0 : (100 * r.failed) / r.requests,
      failures: r.failures,
      loadMs: r.durationMs,
      requestsPerSecond: r.durationMs === 0 ? 0 : r.requests / (r.durationMs / 1000),
      rolloutsMs: r.rolloutsMs,
      meanRolloutMs: r.rolloutsMs.length === 0 ? 0 : (totalRolloutMs - settleMs) / r.rolloutsMs.length,
      settleMs,
      totalRolloutMs,
      podsAnswered: Object.keys(r.byPod).length,
      gatePasses: r.gateMs.length,
      gateWaitP50Ms: percentile(r.gateMs, 50),
      gateWaitP95Ms: percentile(r.gateMs, 95),
      drainsApplied: r.drainMs.length,
      drainP50Ms: percentile(r.drainMs, 50),
      // The wall time of the mode, shared by its behaviours' rows.
      wallMs: Math.round(performance.now() - t),
    };
  });
}
