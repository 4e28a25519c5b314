/**
 * e2e/local: the load balancer outlives the controller. Steady load of new and keep-alive
 * connections runs through a local-provider load balancer while a rolling update goes on;
 * halfway through it (right after the controller drained the second old pod) the
 * controller is SIGKILLed, restarted 5 s later against the same data plane socket, and the
 * rollout finishes under the new controller.
 *
 * With the default data plane (`--local-dataplane process`: a `sluice-dataplane` process
 * the controller starts, detached) the gap costs nothing: 0 refused connections and 0
 * failed requests, in the gap and overall, and the new controller adopts the load balancer
 * without re-binding it. With `--local-dataplane embedded` the load balancer dies with the
 * controller and the gap refuses connections, proving the test can fail.
 *
 * Leader election is on with a 6 s lease, so the restarted controller also waits for the
 * killed one's lease to expire, as a replacement pod would.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { type LoadResult, type RunningLoad, startLoad } from '@sluice/testbed/load';
import { type ControllerDataPlane, type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const REPLICAS = 4;
const RESTART_AFTER_MS = 5000;
const ARGS = [
  '--leader-election-lease-duration=6',
  '--leader-election-renew-deadline=4',
  '--leader-election-retry-period=1',
  '--health-poll-ms=100',
  '--local-health-interval-ms=200',
  '--resync-period=30',
];
const LOAD = { freshWorkers: 2, keepAliveWorkers: 2, maxConnectionAgeMs: 1000, pauseMs: 10, maxDurationMs: 240_000 } as const;
const PHASES = ['before', 'gap', 'after'] as const;
type Phase = (typeof PHASES)[number];
type Mode = 'process' | 'embedded';

const log = consoleLogger('e2e/controller-restart');
const say = (line: string) => process.stdout.write(`${line}\n`);
let env: Environment;
const controllers: ControllerProcess[] = [];
const engines: ControllerDataPlane[] = [];

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  for (const c of controllers) await c.stop();
  for (const e of engines) await e.stop();
  await env?.stop();
});

interface PhaseResult {
  readonly phase: Phase;
  readonly result: LoadResult;
  readonly refused: number;
}

interface ModeResult {
  readonly mode: Mode;
  readonly phases: readonly PhaseResult[];
  /** SIGKILL to the restarted controller reporting running. */
  readonly gapMs: number;
  readonly restarted: ControllerProcess;
  readonly first: ControllerProcess;
}

function start(mode: Mode, engine: ControllerDataPlane | undefined): ControllerProcess {
  const dataplane = mode === 'embedded' ? ['--local-dataplane', 'embedded'] : engine ? ['--local-dataplane-socket', engine.socketPath] : [];
  const c = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: [...ARGS, ...dataplane] });
  controllers.push(c);
  if (c.dataplane) engines.push(c.dataplane);
  return c;
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const first = start(mode, undefined);
  await first.ready();
  const [port] = await freeLoopbackPorts(1);
  const w = new Workload(env.kubeConfig, { namespace: `restart-${mode}`, name: 'web', replicas: REPLICAS, servicePort: port!, sigterm: 'close', preStopSeconds: 2 });
  await w.create();
  await w.waitForRollout(REPLICAS);
  const { host } = await w.waitForAddress();
  await waitFor(`${mode}: the load balancer answering`, () => fetch(`http://${host}:${port}/`).then((r) => r.ok, () => false), { timeoutMs: 30_000 });

  const phases: PhaseResult[] = [];
  let load: RunningLoad = startLoad({ host, port: port!, ...LOAD });
  const endPhase = async (phase: Phase): Promise<void> => {
    const result = await load.stop();
    phases.push({ phase, result, refused: result.failures['ECONNREFUSED'] ?? 0 });
  };
  await sleep(2000);

  // The rolling update; halfway (two old pods drained) the controller dies.
  await w.restart(`restart-${mode}-${Date.now()}`);
  await waitFor(`${mode}: two old pods drained`, () => first.drains().length >= REPLICAS / 2, { timeoutMs: 120_000 });
  await endPhase('before');
  load = startLoad({ host, port: port!, ...LOAD });
  const killedAt = performance.now();
  await first.kill();
  say(`${mode}: controller SIGKILLed after ${first.drains().length} drains; restarting it in ${RESTART_AFTER_MS} ms`);
  await sleep(RESTART_AFTER_MS);
  const restarted = start(mode, first.dataplane);
  await restarted.ready(60_000);
  const gapMs = Math.round(performance.now() - killedAt);
  await endPhase('gap');

  load = startLoad({ host, port: port!, ...LOAD });
  await w.waitForRollout(REPLICAS, 180_000);
  await sleep(1000);
  await endPhase('after');
  await w.delete();
  // The next mode's controllers campaign for the same Lease.
  await restarted.stop();
  await first.dataplane?.stop();
  return { mode, phases, gapMs, restarted, first };
}

function table(results: readonly ModeResult[]): string {
  const rows = results.flatMap((r) =>
    r.phases.map((p) => {
      const causes = Object.entries(p.result.failures)
        .map(([cause, n]) => `${cause} ${n}`)
        .join(', ');
      const gap = p.phase === 'gap' ? ` (${r.gapMs} ms: SIGKILL, ${RESTART_AFTER_MS / 1000} s, restart until running)` : '';
      return `${r.mode.padEnd(9)} ${p.phase.padEnd(7)} ${String(p.result.requests).padStart(8)} ${String(p.result.failed).padStart(7)} ${String(p.refused).padStart(8)}  ${causes || '-'}${gap}`;
    }),
  );
  return [`${'dataplane'.padEnd(9)} ${'phase'.padEnd(7)} ${'requests'.padStart(8)} ${'failed'.padStart(7)} ${'refused'.padStart(8)}  failures by cause`, ...rows].join('\n');
}

test('a controller SIGKILLed mid-rollout: its out-of-process data plane refuses nothing; the embedded one refuses the gap', { timeout: 600_000 }, async () => {
  const outOfProcess = await runMode('process');
  const embedded = await runMode('embedded');
  say(`\n${table([outOfProcess, embedded])}\n`);

  const phase = (r: ModeResult, p: Phase) => r.phases.find((x) => x.phase === p)!;
  for (const p of PHASES) {
    const { result, refused } = phase(outOfProcess, p);
    assert.ok(result.requests > 50, `process/${p}: load went through (${result.requests} requests)`);
    assert.equal(refused, 0, `process/${p}: no connection refused`);
    assert.equal(result.failed, 0, `process/${p}: no request failed (${JSON.stringify(result.failures)})`);
  }
  // The restarted controller adopted the load balancer: it found the engine and opened no listener.
  const lines = (c: ControllerProcess, msg: string | RegExp) => c.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  assert.equal(lines(outOfProcess.first, 'started the data plane').length, 1, 'the first controller started the data plane');
  assert.equal(lines(outOfProcess.restarted, 'started the data plane').length, 0, 'the restarted controller started none');
  assert.ok(lines(outOfProcess.restarted, 'connected to the data plane').length > 0, 'it connected to the running one');
  assert.deepEqual(
    lines(outOfProcess.restarted, / listening on /).map((l) => l.msg),
    [],
    'it re-bound no listener',
  );

  const gap = phase(embedded, 'gap');
  assert.ok(gap.refused > 0, `embedded/gap: the load balancer died with the controller and refused connections (${JSON.stringify(gap.result.failures)})`);
  assert.ok(lines(embedded.restarted, / listening on /).length > 0, 'embedded: the restarted controller had to open the listener again');
});
