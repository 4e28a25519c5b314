/**
 * e2e/local: two pods of one Service with the same IP, as when a CNI hands a terminating
 * pod's address to a new pod. Backends are pod UID + IP + port, so:
 * (a) same IP, different target ports: the terminating pod is drained (weight 0) and stays so
 *     until it exits; the live pod is registered, passes its gate and serves;
 * (b) same IP and port, the old pod's process gone (its node lost) while its Pod is still
 *     terminating: the address is the live pod's, and is never drained because of the old one.
 * Each holds with the endpoints in either order, in one EndpointSlice or split over two, and
 * across a controller restart. The Service has no selector: the test writes the
 * EndpointSlices itself, so it decides their order. Load runs through every step, the
 * controller restart included (the local LB runs in its own `sluice-dataplane` process, which
 * the restarted controller adopts), and must not lose a request.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { type LoadOptions, startLoad } from '@sluice/testbed/load';
import { type BackendCounts, ControllerSeries, createLoadBalancerService, createNamespace, describeGateHistory, type Environment, formatBackendCounts, GATE_CONDITION, GateRecorder, getBody, type HandSlice, HandSlices, LoadPhases, readBackendGauge, simPod, startEnvironment, waitForContainersReady, waitForIngress, waitForPod, waitForPodGone } from '@sluice/testbed/scenario';

const FAST = ['--health-poll-ms', '100', '--local-health-interval-ms', '200', '--resync-period', '30'];
/** Time each step runs under load before its state is read. */
const SETTLE_MS = 1500;
const LOAD: Omit<LoadOptions, 'host' | 'port'> = { freshWorkers: 2, keepAliveWorkers: 2, pauseMs: 10, requestTimeoutMs: 3000, maxDurationMs: 60_000, maxRequests: 100_000 };
const NODE = 'sim-zone-a';

const log = consoleLogger('e2e/ip-reuse');
let env: Environment;
const series: ControllerSeries[] = [];

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  for (const s of series) await s.stop();
  await env?.stop();
});

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Step {
  readonly name: string;
  readonly slices: readonly HandSlice[];
}

interface Setup {
  readonly core: CoreV1Api;
  readonly ns: string;
  readonly gates: GateRecorder;
  readonly slices: HandSlices;
  readonly controllers: ControllerSeries;
}

async function setUp(ns: string): Promise<Setup & { servicePort: number }> {
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(core, ns);
  const [servicePort] = await freeLoopbackPorts(1);
  await createLoadBalancerService(core, ns, 'web', servicePort!);
  const controllers = new ControllerSeries(env.kubeconfigPath, FAST);
  series.push(controllers);
  await controllers.start();
  return { core, ns, servicePort: servicePort!, gates: await GateRecorder.start(env.kubeConfig, ns, GATE_CONDITION), slices: new HandSlices(env.kubeConfig, ns, 'web'), controllers };
}

/**
 * Walks `steps` under load (the first step's gate wait happens before the load starts), then
 * restarts the controller, then runs `finish` (the old pod going away). Returns the phases
 * and the LB backend counts at the end of each.
 */
async function runUnderLoad(
  s: Setup,
  address: { host: string; port: number },
  liveUid: string,
  steps: readonly Step[],
  finish: () => Promise<string>,
): Promise<{ phases: LoadPhases; counts: Map<string, BackendCounts>; byPod: Record<string, number>; restartMs: number }> {
  const phases = new LoadPhases();
  const counts = new Map<string, BackendCounts>();
  const byPod: Record<string, number> = {};
  const endPhase = async (name: string) => {
    const c = await readBackendGauge(s.controllers.current);
    counts.set(name, c);
    const gate = s.gates.current(liveUid);
    phases.end(name, `${formatBackendCounts(c)}; live pod's gate ${gate?.status ?? 'none'}`);
  };
  const collect = (r: { byPod: Readonly<Record<string, number>> }) => {
    for (const [pod, n] of Object.entries(r.byPod)) byPod[pod] = (byPod[pod] ?? 0) + n;
  };

  const [first, ...rest] = steps;
  await s.slices.layout(first!.slices);
  await s.gates.waitFor(liveUid, `the live pod's gate to go True (${first!.name})`, (v) => v.status === 'True');
  const load = startLoad({ ...LOAD, ...address });
  phases.follow(load);
  let restartMs = 0;
  let current = first!.name;
  try {
    await sleep(SETTLE_MS);
    await endPhase(first!.name);
    for (const step of rest) {
      current = step.name;
      await s.slices.layout(step.slices);
      await sleep(SETTLE_MS);
      await endPhase(step.name);
    }
    // The local LB runs in its own process: the load goes on while the controller is replaced.
    current = 'controller restart';
    const t = performance.now();
    await s.controllers.restart();
    restartMs = Math.round(performance.now() - t);
    await sleep(SETTLE_MS);
    await endPhase(`controller restarted (${steps.at(-1)!.name})`);
    current = 'the old pod going away';
    const finishName = await finish();
    await sleep(SETTLE_MS);
    await endPhase(finishName);
  } catch (error) {
    // Show how far it got, and what the load saw on the way.
    phases.end(`${current} (interrupted)`);
    say(phases.format(`interrupted during "${current}"; the phases so far:`));
    throw error;
  } finally {
    collect(await load.stop());
  }
  return { phases, counts, byPod, restartMs };
}

/**
 * The targets the data plane holds (every target group), read from its control API on the
 * harness's socket: what is on the LB now, whatever the controller last read.
 */
function engineTargets(socketPath: string): Promise<{ ip: string; port: number; weight: number; state: string }[]> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: '/v1/state', timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            const state = JSON.parse(body) as { targetGroups: { targets: { ip: string; port: number; weight: number; state: string }[] }[] };
            resolve(state.targetGroups.flatMap((g) => g.targets.map(({ ip, port, weight, state: health }) => ({ ip, port, weight, state: health }))));
          } catch (error) {
            reject(error);
          }
        });
      })
      .on('error', reject);
  });
}

test('same IP, different target ports: the old pod drains until it exits, the new one is gated and served, in any slice order and across a restart', { timeout: 150_000 }, async () => {
  const s = await setUp('ip-reuse-ports');
  const { core, ns, gates, slices, controllers } = s;
  try {
    // The old pod serves alone; it ignores SIGTERM and has a long grace period.
    await core.createNamespacedPod({ namespace: ns, body: simPod({ name: 'old', nodeName: NODE, port: 8080, graceSeconds: 120 }) });
    const old = await waitForContainersReady(core, ns, 'old');
    const ip = old.status!.podIP!;
    const oldUid = old.metadata!.uid!;
    await slices.layout([{ name: 'web-0', pods: ['old'], port: 8080 }]);
    await gates.waitFor(oldUid, "the old pod's gate to go True", (v) => v.status === 'True');
    const address = await waitForIngress(core, ns, 'web');
    assert.equal(await getBody(address.host, address.port), 'old', 'the LB serves the old pod');

    // The old pod is deleted: its endpoint turns terminating, and Sluice drains it.
    await core.deleteNamespacedPod({ name: 'old', namespace: ns });
    await waitForPod(core, ns, 'old', 'deletionTimestamp set', (p) => Boolean(p.metadata?.deletionTimestamp));
    await slices.layout([{ name: 'web-0', pods: ['old'], port: 8080 }]);
    const drain = await waitFor('"drain applied" for the old pod', () => controllers.lines('drain applied', oldUid)[0], { timeoutMs: 10_000, intervalMs: 50 });

    // A new pod gets the old pod's IP, with its named port `http` on 8081.
    await core.createNamespacedPod({ namespace: ns, body: simPod({ name: 'new', nodeName: NODE, port: 8081, ip, graceSeconds: 5 }) });
    const fresh = await waitForContainersReady(core, ns, 'new');
    const newUid = fresh.metadata!.uid!;
    assert.equal(fresh.status?.podIP, ip, "the new pod has the old pod's IP");
    assert.equal(await getBody(ip, 8080), 'old', 'the old pod still serves on its own port (only its weight keeps the LB off it)');

    const steps: Step[] = [
      { name: 'two slices, old pod first', slices: [{ name: 'web-1-old', pods: ['old'], port: 8080 }, { name: 'web-2-new', pods: ['new'], port: 8081 }] },
      { name: 'two slices, new pod first', slices: [{ name: 'web-3-new', pods: ['new'], port: 8081 }, { name: 'web-4-old', pods: ['old'], port: 8080 }] },
      // One slice can carry one port number per Service port: with two target ports in one
      // slice, the slice lists no ports and each pod's named port resolves the number.
      { name: 'one slice without ports: old, new', slices: [{ name: 'web-5', pods: ['old', 'new'], port: undefined }] },
      { name: 'one slice without ports: new, old', slices: [{ name: 'web-5', pods: ['new', 'old'], port: undefined }] },
    ];
    const run = await runUnderLoad(s, address, newUid, steps, async () => {
      // End the old pod's grace period early; once it is gone, its endpoint goes too.
      await core.deleteNamespacedPod({ name: 'old', namespace: ns, body: { gracePeriodSeconds: 1 } });
      await waitForPodGone(core, ns, 'old', 20_000);
      await slices.layout([{ name: 'web-6-new', pods: ['new'], port: 8081 }]);
      return 'old pod exited and left its slice';
    });

    say(run.phases.format(`ip-reuse (a) ${ip}: old pod :8080 terminating, new pod :8081 — load through ${address.host}:${address.port}`));
    say(`  old pod drained: "drain applied" ${drain['latencyMs']} ms after its deletionTimestamp; controller replaced in ${run.restartMs} ms under load`);
    say(`  answers by pod: ${JSON.stringify(run.byPod)}; new pod's gate: ${describeGateHistory(gates.history(newUid))}`);

    assert.ok(run.phases.requests > 300, `enough load went through (${run.phases.requests} requests)`);
    assert.equal(run.phases.failed, 0, `requests failed through the LB:\n${run.phases.format('by phase')}`);
    assert.deepEqual(Object.keys(run.byPod), ['new'], `only the new pod answers once the old one is drained: ${JSON.stringify(run.byPod)}`);
    assert.deepEqual(gates.afterFirstTrue(newUid), [], `the new pod's gate never left True: ${describeGateHistory(gates.history(newUid))}`);
    assert.deepEqual(controllers.lines('drain applied', newUid), [], 'the new pod was never drained');
    for (const step of steps) {
      const c = run.counts.get(step.name)!;
      assert.ok(c.draining === 1 && c.healthy === 1, `${step.name}: the LB holds the old pod at weight 0 and the new pod healthy (${formatBackendCounts(c)})`);
    }
    // sluice_backends is the controller's last health read, and nothing makes it read again after
    // it removed the old pod; the data plane itself says what is on the LB.
    const engine = controllers.dataplane;
    assert.ok(engine, 'the controllers program a data plane of their own');
    const end = await engineTargets(engine.socketPath);
    assert.deepEqual(end, [{ ip, port: 8081, weight: 1, state: 'healthy' }], `after the old pod exited only the new pod is on the LB (${JSON.stringify(end)})`);
  } finally {
    // The next test reads the LB backend gauge, which sums every Service its controller serves:
    // this Service and its LB go first (the controller releases the finalizer).
    await core.deleteNamespacedService({ name: 'web', namespace: ns }).catch(() => {});
    await waitFor('ip-reuse-ports/web deleted', async () => {
      try {
        await core.readNamespacedService({ name: 'web', namespace: ns });
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch(() => {});
    await gates.stop();
    await controllers.stop();
  }
});

test("same IP and port, the old pod's process gone but its Pod terminating: the address is the live pod's and never drained", { timeout: 150_000 }, async () => {
  const s = await setUp('ip-reuse-address');
  const { core, ns, gates, slices, controllers } = s;
  try {
    // The old pod runs on a node that is about to be lost.
    const lost = await env.startNode({ zone: 'zone-b', nodeName: 'sim-lost', cleanUpOnStop: false });
    await core.createNamespacedPod({ namespace: ns, body: simPod({ name: 'old', nodeName: lost.nodeName, port: 8080, graceSeconds: 30 }) });
    const old = await waitForContainersReady(core, ns, 'old');
    const ip = old.status!.podIP!;
    const oldUid = old.metadata!.uid!;
    await slices.layout([{ name: 'web-0', pods: ['old'], port: 8080 }]);
    await gates.waitFor(oldUid, "the old pod's gate to go True", (v) => v.status === 'True');
    const address = await waitForIngress(core, ns, 'web');
    assert.equal(await getBody(address.host, address.port), 'old', 'the LB serves the old pod');

    // The node is lost: the old pod's process dies and its IP is free, while its Pod keeps
    // the last status the node wrote. Deleting it leaves it terminating: no kubelet finishes it.
    await lost.stop();
    await assert.rejects(getBody(ip, 8080, 1000), "the old pod's process is gone");
    await core.deleteNamespacedPod({ name: 'old', namespace: ns });
    const stale = await waitForPod(core, ns, 'old', 'deletionTimestamp set', (p) => Boolean(p.metadata?.deletionTimestamp));
    assert.ok(
      stale.status?.containerStatuses?.every((c) => c.state?.running) && stale.status.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True'),
      'the terminating old pod still reports running, ready containers (its node never said otherwise)',
    );

    // The new pod gets the same IP and port on the live node.
    await core.createNamespacedPod({ namespace: ns, body: simPod({ name: 'new', nodeName: NODE, port: 8080, ip, graceSeconds: 5 }) });
    const fresh = await waitForContainersReady(core, ns, 'new');
    const newUid = fresh.metadata!.uid!;
    assert.equal(fresh.status?.podIP, ip, "the new pod has the old pod's IP");

    const steps: Step[] = [
      { name: 'one slice: old, new', slices: [{ name: 'web-0', pods: ['old', 'new'], port: 8080 }] },
      { name: 'one slice: new, old', slices: [{ name: 'web-0', pods: ['new', 'old'], port: 8080 }] },
      { name: 'two slices, old pod first', slices: [{ name: 'web-1-old', pods: ['old'], port: 8080 }, { name: 'web-2-new', pods: ['new'], port: 8080 }] },
      { name: 'two slices, new pod first', slices: [{ name: 'web-3-new', pods: ['new'], port: 8080 }, { name: 'web-4-old', pods: ['old'], port: 8080 }] },
    ];
    const run = await runUnderLoad(s, address, newUid, steps, async () => {
      // Nothing will finish the old pod: remove it by force, as an operator would.
      await core.deleteNamespacedPod({ name: 'old', namespace: ns, body: { gracePeriodSeconds: 0 } });
      await waitForPodGone(core, ns, 'old', 20_000);
      await slices.layout([{ name: 'web-5-new', pods: ['new'], port: 8080 }]);
      return 'old Pod removed and left its slice';
    });

    say(run.phases.format(`ip-reuse (b) ${ip}:8080: old pod terminating on a lost node, new pod live — load through ${address.host}:${address.port}`));
    say(`  controller replaced in ${run.restartMs} ms under load; "drain applied" lines for the old pod: ${controllers.lines('drain applied', oldUid).length}`);
    say(`  answers by pod: ${JSON.stringify(run.byPod)}; new pod's gate: ${describeGateHistory(gates.history(newUid))}`);

    assert.ok(run.phases.requests > 300, `enough load went through (${run.phases.requests} requests)`);
    assert.equal(run.phases.failed, 0, `requests failed through the LB:\n${run.phases.format('by phase')}`);
    assert.deepEqual(Object.keys(run.byPod), ['new'], `only the new pod answers: ${JSON.stringify(run.byPod)}`);
    assert.deepEqual(gates.afterFirstTrue(newUid), [], `the new pod's gate never left True: ${describeGateHistory(gates.history(newUid))}`);
    assert.deepEqual(controllers.lines('drain applied', newUid), [], 'the new pod was never drained');
    // Right after a restart the gauge may still hold the new process's first read (taken
    // before its LB existed); the load says what happened then. Every other phase is checked.
    for (const [phase, c] of run.counts) {
      if (phase.startsWith('controller restarted')) continue;
      assert.ok(c.draining === 0 && c.healthy === 1 && c.initial === 0 && c.unhealthy === 0, `${phase}: the address is on the LB once, for the live pod, not at weight 0 (${formatBackendCounts(c)})`);
    }
  } finally {
    await gates.stop();
    await controllers.stop();
  }
});
