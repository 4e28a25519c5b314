/**
 * e2e/gcp: the real controller with `--provider gcp` and the real @google-cloud/compute
 * clients against the project's Compute REST test server (every request and response
 * checked against the protos that ship in @google-cloud/compute), the real API server and
 * two simulated nodes in two zones. Pods in two zones must give two zonal GCE_VM_IP_PORT
 * NEGs, both attached to the backend service; NEG endpoints follow the pods through scale
 * up, a rolling update and scale down; an idle resync writes nothing; bad input creates
 * nothing; deleting the Service removes exactly what Sluice created.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { computeCallBudget } from '../../servers/gcp/call-budget.ts';
import { type ComputeServer, HEALTH_CHECK_RANGES, startComputeServer } from '../../servers/gcp/index.ts';
import { insertFirewall } from './gcp-twin.ts';
import { consoleLogger } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/gcp');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROJECT = 'sluice-e2e';
const REGION = 'us-central1';
const ZONES = ['us-central1-a', 'us-central1-b'];
const WRITE = /insert|delete|patch|update|attach|detach|set/i;
/** Most provider reads a replaced pod may cost in the rolling update (the health-read budget). */
const MAX_READS_PER_REPLACED_POD = 5;
/** The health check's interval, and so the controller's health poll. */
const HEALTHCHECK_INTERVAL_SECONDS = 5;
let gce: ComputeServer;
let env: Environment;
let controller: ControllerProcess | undefined;

before(async () => {
  gce = await startComputeServer({ operations: { pollsBeforeDone: 1 } });
  env = await startEnvironment(log, { zones: ZONES });
});
after(async () => {
  await controller?.stop();
  await env?.stop();
  await gce?.close();
});

function calls(c: ControllerProcess, from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of c.lines.slice(from)) {
    if (l.msg !== 'gcp call') continue;
    const op = String(l['operation']);
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}
const writes = (counts: Record<string, number>) => Object.entries(counts).filter(([op]) => WRITE.test(op)).reduce((n, [, v]) => n + v, 0);

function ownedBy(uid: string) {
  return (body: Record<string, unknown>) => {
    try {
      return (JSON.parse(String(body['description'] ?? '{}')) as { sluice?: { uid?: string } }).sluice?.uid === uid;
    } catch {
      return false;
    }
  };
}

/** zone -> sorted `ip:port` of the ready pods there. */
async function readyPodsByZone(namespace: string): Promise<Record<string, string[]>> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace });
  const out: Record<string, string[]> = {};
  for (const p of pods.items) {
    if (p.metadata?.deletionTimestamp || !p.status?.podIP) continue;
    if (!p.status.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True')) continue;
    const zone = ZONES.find((z) => p.spec?.nodeName === `sim-${z}`) ?? '?';
    (out[zone] ??= []).push(`${p.status.podIP}:8080`);
  }
  for (const z of Object.keys(out)) out[z]!.sort();
  return out;
}

/** zone -> sorted `ip:port` attached to the Service's NEG in that zone (empty zones omitted). */
function negEndpointsByZone(uid: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const neg of gce.state.networkEndpointGroups().filter((n) => ownedBy(uid)(n.body))) {
    const zone = String(neg.body['zone'] ?? '').split('/').pop() ?? '?';
    const eps = neg.endpoints.map((e) => `${e.ipAddress}:${e.port}`).sort();
    if (eps.length > 0) out[zone] = eps;
  }
  return out;
}

async function waitForNegsToFollowPods(namespace: string, uid: string, count: number): Promise<Record<string, string[]>> {
  const deadline = performance.now() + 90_000;
  for (;;) {
    const want = await readyPodsByZone(namespace);
    const have = negEndpointsByZone(uid);
    const n = Object.values(want).reduce((k, v) => k + v.length, 0);
    if (n === count && JSON.stringify(want, Object.keys(want).sort()) === JSON.stringify(have, Object.keys(have).sort())) return have;
    if (performance.now() > deadline) assert.fail(`NEG endpoints ${JSON.stringify(have)} never matched the ready pods ${JSON.stringify(want)}`);
    await sleep(250);
  }
}

test('two zones give two NEGs on one backend service; endpoints follow the pods; delete removes only what Sluice made', { timeout: 900_000 }, async () => {
  for (const z of ZONES) gce.state.addZone(PROJECT, z, REGION);
  gce.state.addNetwork({ project: PROJECT, name: 'default' });
  gce.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'default', network: 'default', ipCidrRange: '10.0.0.0/8' });
  gce.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'proxy-only', network: 'default', ipCidrRange: '10.129.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY' });
  // The operator's firewall rules the provider checks for: health checks and proxies to the pods.
  await insertFirewall(gce, { name: 'allow-health-checks', sourceRanges: [...HEALTH_CHECK_RANGES], allowed: [{ IPProtocol: 'tcp' }] });
  await insertFirewall(gce, { name: 'allow-proxies', sourceRanges: ['10.129.0.0/23'], allowed: [{ IPProtocol: 'tcp' }] });
  // The simulated nodes as VMs: every pod IP is in the pod network, the nodes' alias range.
  for (const z of ZONES) {
    gce.state.addInstance({ project: PROJECT, zone: z, name: `sim-${z}`, network: 'default', subnetwork: 'default', networkIP: env.network.hostIp, aliasIpRanges: [env.network.cidr] });
  }
  // A foreign NEG in the project: Sluice must never touch it.
  const foreign = await fetch(`${gce.url}/compute/v1/projects/${PROJECT}/zones/${ZONES[0]}/networkEndpointGroups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'foreign-neg', networkEndpointType: 'GCE_VM_IP_PORT', network: 'global/networks/default', defaultPort: 80 }),
  });
  assert.equal(foreign.status, 200, 'foreign NEG created');

  controller = startControllerProcess({
    provider: 'gcp',
    kubeconfigPath: env.kubeconfigPath,
    // No --health-poll-ms: health is read at the health check's own interval (Compute's 5 s default).
    env: {
      GOOGLE_CLOUD_PROJECT: PROJECT,
      GCP_REGION: REGION,
      GCP_NETWORK: 'default',
      GCP_SUBNETWORK: 'default',
      GCP_COMPUTE_ENDPOINT: gce.url,
      SLUICE_GCP_HEALTHCHECK_INTERVAL: String(HEALTHCHECK_INTERVAL_SECONDS),
    },
    args: ['--cluster-name', 'e2e', '--log-level', 'debug', '--resync-period', '10'],
  });
  await controller.ready();
  const report: string[][] = [];
  const checked: string[] = [];
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);

  let mark = controller.lines.length;
  const w = new Workload(env.kubeConfig, { namespace: 'shop', name: 'web', replicas: 2, servicePort: 80, sigterm: 'close' });
  await w.create();
  await w.waitForRollout(2);
  const uid = (await core.readNamespacedService({ name: 'web', namespace: 'shop' })).metadata?.uid ?? '';
  const byZone = await waitForNegsToFollowPods('shop', uid, 2);
  assert.deepEqual(Object.keys(byZone).sort(), ZONES, 'pods in two zones give endpoints in two zonal NEGs');
  const negs = gce.state.networkEndpointGroups().filter((n) => ownedBy(uid)(n.body));
  assert.equal(negs.length, 2, 'two NEGs');
  assert.ok(negs.every((n) => n.body['networkEndpointType'] === 'GCE_VM_IP_PORT'));
  const backendServices = gce.state.backendServices().filter(ownedBy(uid));
  assert.equal(backendServices.length, 1, 'one backend service');
  const backends = (backendServices[0]!['backends'] ?? []) as { group?: string }[];
  for (const neg of negs) {
    assert.ok(backends.some((b) => String(b.group).endsWith(`/networkEndpointGroups/${neg.body['name']}`)), `NEG ${neg.body['name']} is attached to the backend service`);
  }
  checked.push(`pods in ${ZONES.join(' and ')} gave 2 GCE_VM_IP_PORT NEGs (${negs.map((n) => n.body['name']).join(', ')}), both backends of one backend service`);
  report.push(['create (2 pods, 2 zones)', JSON.stringify(calls(controller, mark))]);

  mark = controller.lines.length;
  await w.scale(5);
  await w.waitForRollout(5);
  await waitForNegsToFollowPods('shop', uid, 5);
  checked.push('NEG endpoints followed scale 2 -> 5');
  report.push(['scale 2 -> 5', JSON.stringify(calls(controller, mark))]);

  // One rolling update of 5 pods: what it costs in Compute requests, counted by the server.
  mark = controller.lines.length;
  const requestsBefore = gce.requests.entries().length;
  const rolloutStarted = performance.now();
  await w.restart('gcp-1');
  await w.waitForRollout(5);
  await waitForNegsToFollowPods('shop', uid, 5);
  const rolloutSeconds = (performance.now() - rolloutStarted) / 1000;
  checked.push('NEG endpoints = the 5 new pods after a rolling update');
  report.push(['rolling update of 5 pods', JSON.stringify(calls(controller, mark))]);
  const budget = computeCallBudget(gce.requests.entries().slice(requestsBefore));
  const perPod = budget.reads / 5;
  process.stdout.write(
    `\nrolling update of 5 pods (${rolloutSeconds.toFixed(1)} s, Compute test server's log): provider reads per replaced pod: ${perPod.toFixed(1)} (calls: ${JSON.stringify(budget.calls)}; ${budget.writes} writes, ${budget.polls} operation polls)\n`,
  );
  assert.ok(perPod <= MAX_READS_PER_REPLACED_POD, `a replaced pod cost ${perPod} Compute reads, more than ${MAX_READS_PER_REPLACED_POD}: ${JSON.stringify(budget.calls)}`);
  checked.push(`the rolling update cost ${perPod.toFixed(1)} Compute reads per replaced pod (at most ${MAX_READS_PER_REPLACED_POD})`);

  await sleep(2000);
  mark = controller.lines.length;
  await sleep(14_000);
  const idle = calls(controller, mark);
  assert.equal(writes(idle), 0, `an idle resync wrote: ${JSON.stringify(idle)}`);
  checked.push('an idle resync made 0 write calls');
  report.push(['idle (>= 1 resync)', JSON.stringify(idle)]);

  mark = controller.lines.length;
  await w.scale(1);
  await w.waitForRollout(1);
  await waitForNegsToFollowPods('shop', uid, 1);
  checked.push('NEG endpoints followed scale 5 -> 1');
  report.push(['scale 5 -> 1', JSON.stringify(calls(controller, mark))]);

  // Bad input: a Warning naming the annotation; nothing created.
  await core.createNamespace({ body: { metadata: { name: 'bad' } } });
  const negsBefore = gce.state.networkEndpointGroups().length;
  await core.createNamespacedService({
    namespace: 'bad',
    body: { metadata: { name: 'drain', annotations: { 'sluice.dev/gcp-draining-timeout': 'forever' } }, spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ name: 'http', port: 80 }] } },
  });
  let warning: k8s.CoreV1Event | undefined;
  const deadline = performance.now() + 30_000;
  while (!warning && performance.now() < deadline) {
    const events = await core.listNamespacedEvent({ namespace: 'bad', fieldSelector: 'involvedObject.name=drain' });
    warning = events.items.find((e) => e.type === 'Warning' && /sluice\.dev\/gcp-draining-timeout="forever" is invalid/.test(e.message ?? ''));
    if (!warning) await sleep(300);
  }
  assert.ok(warning, 'a Warning event names sluice.dev/gcp-draining-timeout');
  assert.equal(gce.state.networkEndpointGroups().length, negsBefore, 'bad input created nothing');
  checked.push(`bad input: "${warning.message}" and nothing created`);

  mark = controller.lines.length;
  await w.delete();
  report.push(['delete Service', JSON.stringify(calls(controller, mark))]);
  const owned = ownedBy(uid);
  assert.deepEqual(gce.state.networkEndpointGroups().filter((n) => owned(n.body)), [], 'its NEGs are gone');
  assert.deepEqual(gce.state.backendServices().filter(owned), [], 'its backend service is gone');
  assert.deepEqual(gce.state.healthChecks().filter(owned), [], 'its health check is gone');
  assert.deepEqual(gce.state.targetTcpProxies().filter(owned), [], 'its TCP proxy is gone');
  assert.deepEqual(gce.state.forwardingRules().filter(owned), [], 'its forwarding rule is gone');
  assert.ok(gce.state.networkEndpointGroups().some((n) => n.body['name'] === 'foreign-neg'), 'the foreign NEG survives');
  checked.push('Service deleted: its forwarding rule, proxy, backend service, NEGs and health check are gone; the foreign NEG survives');

  const methods = gce.protoCheck.checkedMethods();
  const violations = methods.flatMap((m) => m.violations.map((v) => `${m.rpc}: ${v}`));
  process.stdout.write(`\nCompute API methods checked against @google-cloud/compute's protos (requests and responses):\n${gce.protoCheck.summary()}\n`);
  process.stdout.write(`\nchecked against the Compute test server:\n${checked.map((c) => `  - ${c}`).join('\n')}\n`);
  process.stdout.write(`\nCompute calls by phase:\n${report.map(([a = '', b = '']) => `  ${a.padEnd(26)} ${b}`).join('\n')}\n\n`);
  assert.deepEqual(violations, [], 'no request or response strays from the protos');
});

test('every Compute method the controller called is granted by deploy/gcp/sluice-role.yaml, which grants nothing the provider never needs', async () => {
  const { readFile } = await import('node:fs/promises');
  const { checkRole } = await import('./compute-permissions.ts');
  // The server's log of the whole job (its one request of its own, the foreign NEG's insert,
  // is a method the controller calls too).
  const called = gce.requests.byOperation();
  assert.ok(Object.keys(called).length > 0, 'the job made Compute calls');
  const role = checkRole(called, await readFile(new URL('../../../deploy/gcp/sluice-role.yaml', import.meta.url), 'utf8'), 'deploy/gcp/sluice-role.yaml');
  process.stdout.write(`\n${role.report}\n\n`);
  assert.deepEqual(role.unmapped, [], `Compute methods called but missing from e2e/jobs/gcp/compute-permissions.ts: ${role.unmapped.join(', ')}`);
  assert.deepEqual(role.missing, [], `permissions needed by the calls but not in deploy/gcp/sluice-role.yaml: ${role.missing.join(', ')}`);
  assert.deepEqual(role.extra, [], `permissions in deploy/gcp/sluice-role.yaml that no provider method needs: ${role.extra.join(', ')}`);
});
