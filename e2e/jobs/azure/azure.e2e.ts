/**
 * e2e/azure: the real controller with `--provider azure`, the real @azure/arm-network and
 * @azure/identity (DefaultAzureCredential, unchanged), against the project's ARM test server
 * over HTTPS (checked first against the published examples in shared/specs/azure-network),
 * the real API server and the kubelet simulator. At each step (create, scale up, a rolling
 * update, scale down) the backend pool must hold exactly the ready pods with adminState None,
 * and every pod that leaves must have been drained (adminState Down) before it was removed.
 * Bad input creates nothing; deleting the Service removes exactly what Sluice created.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { armCallBudget } from '../../servers/azure/call-budget.ts';
import type { Json } from '../../servers/azure/json.ts';
import { type ArmServer, createArmHttpClient, formatReplayTable, replaySpecExamples, startArmServer } from '../../servers/azure/index.ts';
import { consoleLogger } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/azure');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SUB = randomUUID();
const RG = 'sluice-e2e';
const LOCATION = 'westeurope';
/** Most provider reads a replaced pod may cost in the rolling update (the health-read budget). */
const MAX_READS_PER_REPLACED_POD = 5;
/** The probes' interval, and so the controller's health poll. */
const PROBE_INTERVAL_SECONDS = 5;
let arm: ArmServer;
let env: Environment;
let controller: ControllerProcess | undefined;

before(async () => {
  arm = await startArmServer({ retryAfterSeconds: 0, operations: { durationMs: 150 } });
  env = await startEnvironment(log);
});
after(async () => {
  await controller?.stop();
  await env?.stop();
  await arm?.stop();
});

function calls(c: ControllerProcess, from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of c.lines.slice(from)) {
    if (l.msg !== 'azure call') continue;
    const op = String(l['operation']);
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

function sluiceLoadBalancer(namespace: string, name: string) {
  return arm.state.loadBalancers().find((lb) => {
    const tags = (lb['tags'] ?? {}) as Record<string, string>;
    return tags['sluice-service-namespace'] === namespace && tags['sluice-service-name'] === name && tags['sluice-cluster'] === 'e2e';
  });
}

async function readyPodIps(namespace: string): Promise<string[]> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True'))
    .map((p) => p.status!.podIP!)
    .sort();
}

/** Pool addresses as `ip=adminState`, sorted. */
function poolState(lbName: string): string[] {
  const pool = arm.state.backendPool(SUB, RG, lbName, 'http');
  return (pool?.addresses ?? []).map((a) => `${a.ipAddress}=${a.adminState}`).sort();
}

async function waitForPoolToFollowPods(namespace: string, lbName: string, count: number): Promise<string[]> {
  const deadline = performance.now() + 90_000;
  for (;;) {
    const want = (await readyPodIps(namespace)).map((ip) => `${ip}=None`);
    const have = poolState(lbName).filter((a) => !a.startsWith('10.213.250.250='));
    if (want.length === count && JSON.stringify(want) === JSON.stringify(have)) return have;
    if (performance.now() > deadline) assert.fail(`pool ${JSON.stringify(have)} never matched the ready pods ${JSON.stringify(want)}`);
    await sleep(200);
  }
}

/** Samples the pool while `during` runs; returns every adminState seen per IP. */
async function watchPool<T>(lbName: string, during: () => Promise<T>): Promise<{ result: T; seen: Map<string, Set<string>> }> {
  const seen = new Map<string, Set<string>>();
  let running = true;
  const sampler = (async () => {
    while (running) {
      for (const a of arm.state.backendPool(SUB, RG, lbName, 'http')?.addresses ?? []) {
        const ip = a.ipAddress ?? '';
        if (!seen.has(ip)) seen.set(ip, new Set());
        seen.get(ip)!.add(a.adminState ?? 'None');
      }
      await sleep(50);
    }
  })();
  try {
    return { result: await during(), seen };
  } finally {
    running = false;
    await sampler;
  }
}

test('the IP-based pool follows the pods, drains with adminState Down, rejects bad input, deletes only its own', { timeout: 900_000 }, async () => {
  // The test server answers like ARM: the published examples first.
  const rows = await replaySpecExamples();
  process.stdout.write(`\nARM test server vs shared/specs/azure-network/2024-05-01:\n${formatReplayTable(rows)}\n`);
  const count = (r: string) => rows.filter((x) => x.result === r).length;
  process.stdout.write(`spec examples: ${rows.length} replayed, ${count('pass')} matched, ${count('fail')} failed, ${count('not implemented')} not implemented\n`);
  assert.deepEqual(rows.filter((r) => r.result === 'fail').map((r) => r.example), [], 'every implemented published example replays with the published shape');

  arm.state.createResourceGroup(SUB, RG, LOCATION);
  const vnet = arm.state.createVirtualNetwork(SUB, RG, 'pods', '10.0.0.0/8');
  const client = createArmHttpClient(arm);
  // A foreign load balancer in the same resource group: Sluice must never touch it.
  const foreignId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/foreign-lb`;
  const put = await client.send('PUT', foreignId, { body: { location: LOCATION, sku: { name: 'Standard' }, tags: { owner: 'someone-else' }, properties: {} } });
  assert.ok(put.status === 200 || put.status === 201, `foreign LB created (${put.status})`);
  const asyncUrl = put.headers['azure-asyncoperation'];
  if (asyncUrl) await client.waitForOperation(asyncUrl);

  controller = startControllerProcess({
    provider: 'azure',
    kubeconfigPath: env.kubeconfigPath,
    env: {
      ...arm.env,
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_RESOURCE_GROUP: RG,
      AZURE_LOCATION: LOCATION,
      AZURE_VNET_ID: String(vnet['id']),
      // Operations here take 150 ms instead of Azure's seconds: poll them at that scale (the SDK's default is 2 s).
      AZURE_POLL_INTERVAL_MS: '200',
      // No --health-poll-ms: health is read at the probes' own interval (Azure's 5 s default).
      SLUICE_AZURE_PROBE_INTERVAL: String(PROBE_INTERVAL_SECONDS),
    },
    args: ['--cluster-name', 'e2e', '--log-level', 'debug', '--resync-period', '10'],
  });
  await controller.ready();
  const report: string[][] = [];
  const checked: string[] = [];

  let mark = controller.lines.length;
  const w = new Workload(env.kubeConfig, { namespace: 'shop', name: 'web', replicas: 2, servicePort: 80, sigterm: 'close' });
  await w.create();
  await w.waitForRollout(2);
  const lb = sluiceLoadBalancer('shop', 'web');
  assert.ok(lb, 'a Standard load balancer tagged for shop/web exists');
  const lbName = String(lb['name']);
  assert.equal((lb['sku'] as { name?: string })?.name, 'Standard');
  const props = lb['properties'] as Record<string, unknown[]>;
  assert.equal(props['loadBalancingRules']?.length, 1, 'one load-balancing rule per Service port');
  assert.equal(props['probes']?.length, 1, 'one probe per Service port');
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const svc = await core.readNamespacedService({ name: 'web', namespace: 'shop' });
  const pip = arm.state.publicIpAddresses().find((p) => ((p['tags'] ?? {}) as Record<string, string>)['sluice-service-uid'] === svc.metadata?.uid);
  assert.ok(pip, 'Sluice created and tagged a public IP for the frontend');
  const pipAddress = (pip['properties'] as { ipAddress?: string }).ipAddress;
  assert.equal(svc.status?.loadBalancer?.ingress?.[0]?.ip, pipAddress, 'Service status carries the frontend public IP');
  await waitForPoolToFollowPods('shop', lbName, 2);
  checked.push(`LB ${lbName} (Standard) with 1 rule, 1 probe, pool "http"; public IP ${pipAddress} owned and in the Service status`, 'pool = 2 ready pods, adminState None');
  report.push(['create (2 pods)', JSON.stringify(calls(controller, mark))]);

  // Another writer adds its own address to the pool (If-Match on the ETag it read). Sluice's later
  // writes must keep it: Sluice owns only the addresses it named. Its health is pinned Down in
  // the test server so nothing ever probes the made-up address.
  const foreignIp = '10.213.250.250';
  arm.state.setHealth(foreignIp, 'Down');
  const poolId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/${lbName}/backendAddressPools/http`;
  const poolNow = await client.send('GET', poolId);
  const poolBody = JSON.parse(poolNow.text) as { etag: string; properties: { loadBalancerBackendAddresses: Json[] } };
  const otherWrite = await client.send('PUT', poolId, {
    headers: { 'If-Match': poolBody.etag },
    body: {
      name: 'http',
      properties: {
        loadBalancerBackendAddresses: [
          ...poolBody.properties.loadBalancerBackendAddresses,
          { name: 'portal-vm-1', properties: { ipAddress: foreignIp, virtualNetwork: { id: String(vnet['id']) } } },
        ],
      },
    },
  });
  assert.ok(otherWrite.status === 200 || otherWrite.status === 201, `the other writer's PUT succeeded (${otherWrite.status})`);
  const otherAsync = otherWrite.headers['azure-asyncoperation'];
  if (otherAsync) await client.waitForOperation(otherAsync);
  const sluiceOnly = (state: string[]) => state.filter((a) => !a.startsWith(`${foreignIp}=`));

  mark = controller.lines.length;
  await w.scale(5);
  await w.waitForRollout(5);
  await waitForPoolToFollowPods('shop', lbName, 5);
  checked.push('pool followed scale 2 -> 5');
  report.push(['scale 2 -> 5', JSON.stringify(calls(controller, mark))]);

  // Rolling update: every old pod must be seen drained (Down) before it leaves the pool; what
  // it costs in ARM requests is counted by the server.
  mark = controller.lines.length;
  const oldIps = await readyPodIps('shop');
  const requestsBefore = arm.requests.entries().length;
  const rolloutStarted = performance.now();
  const { seen } = await watchPool(lbName, async () => {
    await w.restart('azure-1');
    await w.waitForRollout(5);
    await waitForPoolToFollowPods('shop', lbName, 5);
  });
  const rolloutSeconds = (performance.now() - rolloutStarted) / 1000;
  const undrained = oldIps.filter((ip) => !seen.get(ip)?.has('Down'));
  assert.deepEqual(undrained, [], 'every replaced pod was drained with adminState Down before removal');
  checked.push(`rolling update: all ${oldIps.length} replaced pods went adminState Down before removal; pool = the 5 new pods`);
  report.push(['rolling update of 5 pods', JSON.stringify(calls(controller, mark))]);
  const budget = armCallBudget(arm.requests.entries().slice(requestsBefore));
  const perPod = budget.reads / oldIps.length;
  process.stdout.write(
    `\nrolling update of ${oldIps.length} pods (${rolloutSeconds.toFixed(1)} s, ARM test server's log): provider reads per replaced pod: ${perPod.toFixed(1)} (calls: ${JSON.stringify(budget.calls)}; ${budget.writes} writes, ${budget.polls} operation polls)\n`,
  );
  assert.ok(perPod <= MAX_READS_PER_REPLACED_POD, `a replaced pod cost ${perPod} ARM reads, more than ${MAX_READS_PER_REPLACED_POD}: ${JSON.stringify(budget.calls)}`);
  checked.push(`the rolling update cost ${perPod.toFixed(1)} ARM reads per replaced pod (at most ${MAX_READS_PER_REPLACED_POD})`);

  await sleep(2000);
  mark = controller.lines.length;
  await sleep(14_000);
  const idle = calls(controller, mark);
  const idleWrites = Object.entries(idle).filter(([op]) => /createOrUpdate|delete/.test(op)).reduce((n, [, v]) => n + v, 0);
  assert.equal(idleWrites, 0, `an idle resync wrote: ${JSON.stringify(idle)}`);
  checked.push('an idle resync made 0 write calls');
  report.push(['idle (>= 1 resync)', JSON.stringify(idle)]);

  mark = controller.lines.length;
  await w.scale(1);
  await w.waitForRollout(1);
  await waitForPoolToFollowPods('shop', lbName, 1);
  checked.push('pool followed scale 5 -> 1');
  assert.ok(poolState(lbName).includes(`${foreignIp}=None`), "the other writer's address survived every Sluice write (scale up, rollout, scale down)");
  assert.equal(sluiceOnly(poolState(lbName)).length, 1);
  checked.push(`another writer's address ${foreignIp} (named portal-vm-1) survived all of Sluice's pool writes`);
  report.push(['scale 5 -> 1', JSON.stringify(calls(controller, mark))]);

  // Bad input: a Warning naming the annotation, nothing created, no finalizer.
  await core.createNamespace({ body: { metadata: { name: 'bad' } } });
  const lbsBefore = arm.state.loadBalancers().length;
  await core.createNamespacedService({
    namespace: 'bad',
    body: { metadata: { name: 'maybe', annotations: { 'sluice.dev/azure-internal': 'maybe' } }, spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }] } },
  });
  let warning: k8s.CoreV1Event | undefined;
  const deadline = performance.now() + 30_000;
  while (!warning && performance.now() < deadline) {
    const events = await core.listNamespacedEvent({ namespace: 'bad', fieldSelector: 'involvedObject.name=maybe' });
    warning = events.items.find((e) => e.type === 'Warning' && /sluice\.dev\/azure-internal="maybe" is invalid/.test(e.message ?? ''));
    if (!warning) await sleep(300);
  }
  assert.ok(warning, 'a Warning event names sluice.dev/azure-internal');
  assert.equal(arm.state.loadBalancers().length, lbsBefore, 'bad input created no load balancer');
  assert.deepEqual((await core.readNamespacedService({ name: 'maybe', namespace: 'bad' })).metadata?.finalizers ?? [], []);
  checked.push(`bad input: "${warning.message}" and nothing created`);

  mark = controller.lines.length;
  await w.delete();
  report.push(['delete Service', JSON.stringify(calls(controller, mark))]);
  assert.equal(sluiceLoadBalancer('shop', 'web'), undefined, 'the LB is gone');
  assert.ok(!arm.state.publicIpAddresses().some((p) => p['name'] === pip['name']), 'its public IP is gone');
  assert.ok(arm.state.loadBalancer(SUB, RG, 'foreign-lb'), 'the foreign LB survives');
  checked.push('Service deleted: its LB and public IP are gone; the foreign LB survives');

  process.stdout.write(`\nchecked against the ARM test server:\n${checked.map((c) => `  - ${c}`).join('\n')}\n`);
  process.stdout.write(`\nARM calls by phase:\n${report.map(([a = '', b = '']) => `  ${a.padEnd(26)} ${b}`).join('\n')}\n\n`);
});

test('a Service naming a shared load balancer the operator did not allow gets a Warning and ARM gets no write for it', { timeout: 120_000 }, async () => {
  // The controller of the first test runs without --azure-shared-load-balancers: none is allowed.
  assert.ok(controller, 'runs after the first test, with its controller');
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
  const foreignBefore = JSON.stringify(arm.state.loadBalancer(SUB, RG, 'foreign-lb'));
  const lbsBefore = arm.state.loadBalancers().length;
  const requestsBefore = arm.requests.entries().length;
  await core.createNamespacedService({
    namespace: 'team-a',
    body: {
      metadata: { name: 'squat', annotations: { 'sluice.dev/azure-load-balancer-name': 'foreign-lb' } },
      spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }] },
    },
  });
  const sentence =
    'Service team-a/squat annotation sluice.dev/azure-load-balancer-name="foreign-lb" names a load balancer Sluice may not write into: no shared load balancer is allowed; an operator allows names with --azure-shared-load-balancers.';
  let warning: k8s.CoreV1Event | undefined;
  const deadline = performance.now() + 30_000;
  while (!warning && performance.now() < deadline) {
    const events = await core.listNamespacedEvent({ namespace: 'team-a', fieldSelector: 'involvedObject.name=squat' });
    warning = events.items.find((e) => e.type === 'Warning' && e.message === sentence);
    if (!warning) await sleep(300);
  }
  assert.ok(warning, `a Warning event says: ${sentence}`);
  // One more resync period passes with the Service in place.
  await sleep(11_000);
  const after = arm.requests.entries().slice(requestsBefore).filter((r) => r.service === 'arm');
  // The core may still look the load balancer up (getLoadBalancer, a GET: does an old one need draining?); it writes nothing.
  const touching = after.filter((r) => /\/loadBalancers\/foreign-lb(\/|$)/i.test(r.path) && r.method !== 'GET');
  assert.deepEqual(touching.map((r) => `${r.method} ${r.path}`), [], 'no write to the foreign load balancer');
  const writes = after.filter((r) => r.method !== 'GET' && r.operation !== 'LoadBalancerLoadBalancingRules_Health');
  assert.deepEqual(writes.map((r) => `${r.operation} ${r.path}`), [], 'no ARM write at all while the Service stood');
  assert.equal(JSON.stringify(arm.state.loadBalancer(SUB, RG, 'foreign-lb')), foreignBefore, 'the foreign load balancer is unchanged');
  assert.equal(arm.state.loadBalancers().length, lbsBefore, 'no load balancer was created');
  assert.deepEqual((await core.readNamespacedService({ name: 'squat', namespace: 'team-a' })).metadata?.finalizers ?? [], [], 'no finalizer');
  process.stdout.write(`\nshared load balancer not allowed: "${warning.message}"; ARM requests while it stood: ${JSON.stringify(armCallBudget(after).calls)}\n`);
});

test('every ARM operation the controller called maps to an action of deploy/azure/sluice-role.json, which grants nothing no operation needs', async () => {
  const { readFile } = await import('node:fs/promises');
  const { ARM_OPERATION_ACTIONS, roleActions } = await import('./network-actions.ts');
  const granted = new Set(roleActions(await readFile(new URL('../../../deploy/azure/sluice-role.json', import.meta.url), 'utf8')));
  // The server's log of the whole job, ARM only (Entra token requests need no role). The
  // job's own requests (the foreign load balancer's PUT, the other writer's pool GET and PUT,
  // their polls) are operations the controller calls too.
  const called = armCallBudget(arm.requests.entries()).calls;
  assert.ok(Object.keys(called).length > 0, 'the job made ARM calls');
  const unmapped = Object.keys(called).filter((op) => !(op in ARM_OPERATION_ACTIONS));
  assert.deepEqual(unmapped, [], `ARM operations called but missing from e2e/jobs/azure/network-actions.ts: ${unmapped.join(', ')}`);
  const used = new Set(Object.keys(called).flatMap((op) => ARM_OPERATION_ACTIONS[op] ?? []));
  const missing = [...used].filter((a) => !granted.has(a)).sort();
  assert.deepEqual(missing, [], `actions needed by the calls but not in deploy/azure/sluice-role.json: ${missing.join(', ')}`);
  const mapped = new Set(Object.values(ARM_OPERATION_ACTIONS).flat());
  const extra = [...granted].filter((a) => !mapped.has(a)).sort();
  assert.deepEqual(extra, [], `actions in deploy/azure/sluice-role.json that no mapped operation needs: ${extra.join(', ')}`);
  const lines = [...granted].sort().map((a) => `  ${used.has(a) ? 'used    ' : 'not used'} ${a}`);
  process.stdout.write(
    `\nARM operations called (${Object.keys(called).length}): ${Object.entries(called)
      .sort()
      .map(([op, n]) => `${op}×${n}`)
      .join(', ')}\nactions used by this job / granted by deploy/azure/sluice-role.json: ${used.size} / ${granted.size}\n${lines.join('\n')}\n\n`,
  );
});
