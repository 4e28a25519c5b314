/**
 * e2e/local: a backend the provider refuses. The local provider takes backends only inside
 * `--local-backend-cidrs`; the test leaves one /24 of the pod network out and places one pod
 * there, while at the same moment another pod of the Service starts and a third is deleted.
 * The refused pod is reported on itself (gate False, reason LBRegistrationFailed naming its
 * address; a Warning event BackendRejected); the others register and pass their gates; the
 * deleted pod is drained at once; and no request through the LB fails.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { type LoadResult, startLoad } from '@sluice/testbed/load';
import { cidrContains, cidrsExcluding, ControllerSeries, createLoadBalancerService, createNamespace, describeGateHistory, type Environment, GATE_CONDITION, GateRecorder, getBody, simPod, startEnvironment, waitForContainersReady, waitForIngress } from '@sluice/testbed/scenario';

const FAST = ['--health-poll-ms', '100', '--local-health-interval-ms', '200', '--resync-period', '30'];
const NODE = 'sim-zone-a';
const LABELS = { app: 'web' };

const log = consoleLogger('e2e/backend-rejected');
let env: Environment;
let controllers: ControllerSeries | undefined;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await controllers?.stop();
  await env?.stop();
});

const say = (line: string) => process.stdout.write(`${line}\n`);

test('a refused backend fails only its own pod; the others register and a terminating pod of the Service is drained at once', { timeout: 120_000 }, async () => {
  const hole = env.network.cidr.replace(/\.0\.0\/16$/, '.200.0/24');
  const outsideIp = hole.replace(/\.0\/24$/, '.10');
  const allowed = cidrsExcluding(env.network.cidr, hole);
  assert.ok(!allowed.some((c) => cidrContains(c, outsideIp)), 'the chosen address is outside the allowed ranges');
  controllers = new ControllerSeries(env.kubeconfigPath, [...FAST, '--local-backend-cidrs', allowed.join(',')]);
  await controllers.start();

  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  const ns = 'backend-rejected';
  await createNamespace(core, ns);
  const [servicePort] = await freeLoopbackPorts(1);
  await createLoadBalancerService(core, ns, 'web', servicePort!, LABELS);
  const gates = await GateRecorder.start(env.kubeConfig, ns, GATE_CONDITION);
  try {
    const pod = (name: string, ip?: string) => simPod({ name, nodeName: NODE, port: 8080, labels: LABELS, graceSeconds: 60, ...(ip ? { ip } : {}) });
    for (const name of ['web-1', 'web-2', 'web-3']) await core.createNamespacedPod({ namespace: ns, body: pod(name) });
    const uid: Record<string, string> = {};
    for (const name of ['web-1', 'web-2', 'web-3']) {
      const p = await waitForContainersReady(core, ns, name);
      uid[name] = p.metadata!.uid!;
      assert.ok(allowed.some((c) => cidrContains(c, p.status!.podIP!)), `${name} (${p.status!.podIP}) is inside the allowed ranges`);
    }
    for (const name of ['web-1', 'web-2', 'web-3']) await gates.waitFor(uid[name]!, `${name}'s gate to go True`, (v) => v.status === 'True');
    const address = await waitForIngress(core, ns, 'web');
    assert.match(await getBody(address.host, address.port), /^web-[123]$/);

    const observe = async () => {
      await sleep(500);
      // At the same moment: web-1 is deleted (it keeps serving through its 60 s grace period),
      // web-4 starts inside the allowed ranges and web-out starts outside them.
      const deletedAt = Date.now();
      await Promise.all([
        core.deleteNamespacedPod({ name: 'web-1', namespace: ns }),
        core.createNamespacedPod({ namespace: ns, body: pod('web-4') }),
        core.createNamespacedPod({ namespace: ns, body: pod('web-out', outsideIp) }),
      ]);
      const [web4, out] = await Promise.all([waitForContainersReady(core, ns, 'web-4'), waitForContainersReady(core, ns, 'web-out')]);
      uid['web-4'] = web4.metadata!.uid!;
      uid['web-out'] = out.metadata!.uid!;
      assert.equal(out.status?.podIP, outsideIp, 'web-out got the address outside the allowed ranges');

      const drain = await waitFor('"drain applied" for web-1', () => controllers!.lines('drain applied', uid['web-1'])[0], { timeoutMs: 15_000, intervalMs: 50 });
      const rejected = await gates.waitFor(uid['web-out']!, "web-out's gate to be False with reason LBRegistrationFailed", (v) => v.status === 'False' && v.reason === 'LBRegistrationFailed');
      await gates.waitFor(uid['web-4']!, "web-4's gate to go True", (v) => v.status === 'True');
      const event = await waitFor(
        'a Warning event BackendRejected on web-out',
        async () => {
          const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.uid=${uid['web-out']},reason=BackendRejected` });
          return list.items.find((e) => e.type === 'Warning');
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      // Keep the load on a little longer: the refusal must not disturb the others.
      await sleep(2000);
      return { drain, rejected, event, deletedAt };
    };
    const load = startLoad({ host: address.host, port: address.port, freshWorkers: 2, keepAliveWorkers: 2, pauseMs: 10, requestTimeoutMs: 3000, maxDurationMs: 60_000, maxRequests: 100_000 });
    let observed: Awaited<ReturnType<typeof observe>>;
    let result: LoadResult;
    try {
      observed = await observe();
    } finally {
      result = await load.stop();
    }
    const { drain, rejected, event, deletedAt } = observed;
    const drainWallMs = Number(drain['wallMs']) - deletedAt;
    say(`backend-rejected: --local-backend-cidrs ${allowed.join(',')} (pod network ${env.network.cidr} minus ${hole})`);
    say(`  web-out ${outsideIp}: gate ${describeGateHistory(gates.history(uid['web-out']!))}`);
    say(`  event ${event.type} ${event.reason}: ${JSON.stringify(event.message)}`);
    say(`  web-1 drained: "drain applied" ${drainWallMs} ms after the delete call (latencyMs ${drain['latencyMs']}); web-4 gate True`);
    say(`  load through ${address.host}:${address.port}: ${result.requests} requests, ${result.failed} failed ${JSON.stringify(result.failures)}; by pod ${JSON.stringify(result.byPod)}`);

    assert.match(rejected.message, new RegExp(outsideIp.replaceAll('.', '\\.')), `the gate message names the refused address: ${JSON.stringify(rejected.message)}`);
    assert.match(event.message ?? '', new RegExp(outsideIp.replaceAll('.', '\\.')), 'the event names the refused address');
    assert.deepEqual(
      gates.history(uid['web-out']!).filter((v) => v.status === 'True'),
      [],
      `web-out's gate never went True: ${describeGateHistory(gates.history(uid['web-out']!))}`,
    );
    assert.equal(gates.current(uid['web-out']!)?.reason, 'LBRegistrationFailed', "web-out's gate is still False with LBRegistrationFailed at the end");
    for (const name of ['web-2', 'web-3']) {
      assert.deepEqual(gates.afterFirstTrue(uid[name]!), [], `${name}'s gate never left True: ${describeGateHistory(gates.history(uid[name]!))}`);
    }
    assert.ok(Number(drain['latencyMs']) <= 3000 && drainWallMs <= 3000, `web-1 was drained promptly (latencyMs ${drain['latencyMs']}, ${drainWallMs} ms after the delete call)`);
    assert.ok(result.requests > 200, `enough load went through (${result.requests} requests)`);
    assert.equal(result.failed, 0, `requests failed through the LB: ${JSON.stringify(result.failures)}`);
    assert.equal(result.byPod['web-out'] ?? 0, 0, 'the refused pod got no traffic');
  } finally {
    await gates.stop();
  }
});
