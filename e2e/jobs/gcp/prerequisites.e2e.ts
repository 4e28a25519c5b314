/**
 * e2e/gcp prerequisites: what a regional proxy Network Load Balancer needs from the project,
 * through the real controller and the proxy-NLB twin, on a project that starts without it.
 * - No proxy-only subnet: one sentence (a Warning on the Service) and nothing created.
 * - A proxy-only subnet but no firewall rule for Google's health checks: a Warning naming the
 *   missing rule, nothing created.
 * - With SLUICE_GCP_CREATE_FIREWALL_RULES=true Sluice creates its own rules, the gates pass and
 *   traffic flows through the twin.
 * - Deleting the Service removes every resource Sluice created, its firewall rules and
 *   address included; a foreign firewall rule survives.
 * Then a two-port Service with the PROXY annotation: one reserved address for both ports, the
 * pod sees the client's address in the PROXY v1 header, and the address is released with the
 * Service while a foreign address survives.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts } from '@sluice/testbed/harness';
import {
  type ControllerProcess,
  createNamespace,
  type Environment,
  GCP_PROXY_NLB_PROFILE,
  getBody,
  type ProviderBackend,
  simPod,
  startControllerProcess,
  startEnvironment,
  Workload,
  waitForPod,
} from '@sluice/testbed/scenario';
import type { ComputeServer } from '../../servers/gcp/index.ts';
import { checkRole } from './compute-permissions.ts';
import { gcpProviderUnderTest, insertFirewall, POD_TAG, PROJECT, PROXY_ONLY_RANGE, REGION, ZONES } from './gcp-twin.ts';

const log = consoleLogger('e2e/gcp-prerequisites');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let env: Environment;
let backend: ProviderBackend | undefined;
let compute: ComputeServer;
let controller: ControllerProcess | undefined;

before(async () => {
  env = await startEnvironment(log, { zones: ZONES });
  const provider = gcpProviderUnderTest({ firewallRules: false, proxyOnlySubnet: false, resyncSeconds: 10, onStarted: (t) => (compute = t.compute) });
  backend = await provider.start(env, GCP_PROXY_NLB_PROFILE);
});
after(async () => {
  await controller?.stop();
  await backend?.stop();
  await env?.stop();
});

function startController(extraEnv: Record<string, string> = {}, extraArgs: readonly string[] = []): ControllerProcess {
  const b = backend as ProviderBackend;
  return startControllerProcess({ provider: 'gcp', kubeconfigPath: env.kubeconfigPath, args: [...b.controllerArgs, '--log-level', 'debug', ...extraArgs], env: { ...b.controllerEnv, ...extraEnv } });
}

/** Every resource in the twin whose name has a Sluice prefix (`sl-`). */
function sluiceResources(): string[] {
  const named = (kind: string, items: readonly Record<string, unknown>[]) => items.filter((i) => String(i['name']).startsWith('sl-')).map((i) => `${kind} ${String(i['name'])}`);
  return [
    ...named('NEG', compute.state.networkEndpointGroups().map((n) => n.body)),
    ...named('health check', compute.state.healthChecks()),
    ...named('backend service', compute.state.backendServices()),
    ...named('proxy', compute.state.targetTcpProxies()),
    ...named('forwarding rule', compute.state.forwardingRules()),
    ...named('firewall rule', compute.state.firewalls()),
    ...named('address', compute.state.addresses()),
  ].sort();
}

async function waitForWarning(core: k8s.CoreV1Api, pattern: RegExp, since: number): Promise<string> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const events = await core.listNamespacedEvent({ namespace: 'prereq', fieldSelector: 'involvedObject.kind=Service,involvedObject.name=web' });
    const found = events.items.find((e) => e.type === 'Warning' && pattern.test(e.message ?? '') && new Date(e.lastTimestamp ?? e.eventTime ?? 0).getTime() >= since - 1000);
    if (found?.message) return found.message;
    if (performance.now() > deadline) assert.fail(`no Warning matching ${pattern} on Service prereq/web; events: ${events.items.map((e) => e.message).join(' | ')}`);
    await sleep(300);
  }
}

test('prerequisites are checked before anything is created; with the flag Sluice creates its firewall rules and deletes them with the Service', { timeout: 300_000 }, async () => {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await insertFirewall(compute, { name: 'foreign-allow-ssh', sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
  const shown: string[] = [];

  controller = startController();
  await controller.ready();
  const w = new Workload(env.kubeConfig, { namespace: 'prereq', name: 'web', replicas: 2, servicePort: 18080, sigterm: 'close' });
  let since = Date.now();
  await w.create();
  const noSubnet = await waitForWarning(core, /proxy-only subnet/, since);
  assert.match(noSubnet, /^Service prereq\/web needs an active proxy-only subnet \(purpose REGIONAL_MANAGED_PROXY, role ACTIVE\) in region us-central1 and network default/);
  assert.deepEqual(sluiceResources(), [], 'nothing created without a proxy-only subnet');
  shown.push(`no proxy-only subnet: "${noSubnet}"; Sluice resources: none`);

  since = Date.now();
  compute.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'proxy-only', network: 'default', ipCidrRange: PROXY_ONLY_RANGE, purpose: 'REGIONAL_MANAGED_PROXY' });
  const noRule = await waitForWarning(core, /no ingress firewall rule/, since);
  assert.match(noRule, /no ingress firewall rule in network default lets Google's health checks \(35\.191\.0\.0\/16, 130\.211\.0\.0\/22\) or the proxy-only subnet \(10\.129\.0\.0\/23\) reach TCP( port 8080)? of the pods/);
  assert.deepEqual(sluiceResources(), [], 'nothing created without the health-check firewall rule');
  shown.push(`no health-check firewall rule: "${noRule}"; Sluice resources: none`);

  await controller.stop();
  // The flags, with the nodes' network tag: Sluice's rules then target only the pods' VMs.
  controller = startController({}, ['--gcp-create-firewall-rules', '--gcp-firewall-target-tags', POD_TAG]);
  await controller.ready();
  await w.waitForRollout(2);
  const { host, port } = await w.waitForAddress();
  const answer = await getBody(host, port);
  assert.match(answer, /^web-/, 'a pod answers through the twin');
  const created = sluiceResources();
  const rules = created.filter((r) => r.startsWith('firewall rule'));
  assert.equal(rules.length, 2, `Sluice created a health-check and a proxy rule: ${created.join(', ')}`);
  assert.equal(created.filter((r) => r.startsWith('address')).length, 1, `and one address: ${created.join(', ')}`);
  const negs = compute.state.networkEndpointGroups().filter((n) => String(n.body['name']).startsWith('sl-'));
  assert.ok(negs.length > 0 && negs.every((n) => String(n.body['subnetwork']).endsWith(`/regions/${REGION}/subnetworks/default`)), 'every NEG names the pods\' subnetwork, found without GCP_SUBNETWORK');
  const hcRule = compute.state.firewalls().find((f) => String(f['name']).endsWith('-fw-hc'));
  assert.deepEqual(hcRule?.['sourceRanges'], ['35.191.0.0/16', '130.211.0.0/22']);
  assert.deepEqual(hcRule?.['targetTags'], [POD_TAG], "Sluice's rule targets the nodes' tag only");
  shown.push(`with --gcp-create-firewall-rules --gcp-firewall-target-tags ${POD_TAG}: gates passed (2 pods Ready), ${host}:${port} answered "${answer}"; created: ${created.join(', ')}`);

  await w.delete();
  const deadline = performance.now() + 30_000;
  while (sluiceResources().length > 0 && performance.now() < deadline) await sleep(200);
  assert.deepEqual(sluiceResources(), [], 'deleting the Service removes everything Sluice created');
  assert.ok(compute.state.firewalls().some((f) => f['name'] === 'foreign-allow-ssh'), 'the foreign firewall rule survives');
  shown.push('Service deleted: no Sluice resource left (firewall rules included); foreign-allow-ssh survives');
  process.stdout.write(`\nprerequisites through the proxy-NLB twin:\n${shown.map((s) => `  - ${s}`).join('\n')}\n\n`);
});

test("a node whose name is not its VM's: its NEG endpoints name the VM of its spec.providerID, which Compute checks owns the pod IP", { timeout: 120_000 }, async () => {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const vm = 'sim-fqdn';
  // Neither the name nor its first label is the VM's: only the provider ID says which VM it is.
  const nodeName = `worker-7.${ZONES[0]}.c.${PROJECT}.internal`;
  compute.state.addInstance({ project: PROJECT, zone: ZONES[0]!, name: vm, network: 'default', subnetwork: 'default', networkIP: env.network.hostIp, aliasIpRanges: [env.network.cidr], tags: [POD_TAG] }); // a node of the tagged pool
  await env.startNode({ nodeName, zone: ZONES[0]!, providerId: `gce://${PROJECT}/${ZONES[0]}/${vm}` });
  await createNamespace(core, 'fqdn');
  await core.createNamespacedPod({ namespace: 'fqdn', body: simPod({ name: 'fqdn-0', nodeName, port: 8080, labels: { app: 'fqdn' } }) });
  const [port] = (await freeLoopbackPorts(1)) as [number];
  await core.createNamespacedService({ namespace: 'fqdn', body: { metadata: { name: 'fqdn' }, spec: { type: 'LoadBalancer', selector: { app: 'fqdn' }, ports: [{ name: 'http', port, targetPort: 8080, protocol: 'TCP' }] } } });
  const pod = await waitForPod(core, 'fqdn', 'fqdn-0', 'Ready (its gate passed)', (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 60_000);
  const endpoints = compute.state.networkEndpointGroups().flatMap((n) => n.endpoints);
  const mine = endpoints.find((e) => e.ipAddress === pod.status?.podIP);
  assert.equal(mine?.instance, vm, `the endpoint names VM ${vm} (the node's provider ID), not the node name ${nodeName}: ${JSON.stringify(endpoints)}`);
  await core.deleteNamespacedService({ namespace: 'fqdn', name: 'fqdn' });
  const gone = performance.now() + 30_000;
  while (sluiceResources().length > 0 && performance.now() < gone) await sleep(200);
  assert.deepEqual(sluiceResources(), []);
  process.stdout.write(`\nnode ${nodeName}: pod ${pod.status?.podIP} Ready through the twin; NEG endpoint instance ${mine?.instance}\n\n`);
});

/** A TCP server on every pod IP's `port` inside the pod network: it answers `ok` and prints the first line it got. */
function startRecorder(port: number): { lines: string[]; stop(): void } {
  const script = `require('node:net').createServer((s) => { s.on('error', () => {}); s.once('data', (d) => { process.stdout.write(JSON.stringify(d.toString('latin1').split('\\r\\n')[0]) + '\\n'); s.end('ok\\n'); }); }).listen(${port}, '0.0.0.0');`;
  const child = env.network.exec([process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as string)));
  return { lines, stop: () => child.kill('SIGKILL') };
}

function firstAnswer(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write('hello\r\n'));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy(new Error(`no answer from ${host}:${port}`)));
  });
}

test('a two-port Service gets one reserved address for both ports; with the PROXY annotation the pod sees the client in the header; delete releases the address, a foreign one survives', { timeout: 120_000 }, async () => {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const foreign = await fetch(`${compute.url}/compute/v1/projects/${PROJECT}/regions/${REGION}/addresses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'foreign-ip' }) });
  assert.equal(foreign.status, 200, 'foreign address reserved');
  const recorder = startRecorder(9999);
  try {
    await createNamespace(core, 'front');
    await core.createNamespacedPod({ namespace: 'front', body: simPod({ name: 'front-0', nodeName: `sim-${ZONES[0]}`, port: 8080, labels: { app: 'front' } }) });
    const [p1, p2] = (await freeLoopbackPorts(2)) as [number, number];
    await core.createNamespacedService({
      namespace: 'front',
      body: {
        metadata: { name: 'front', annotations: { 'sluice.dev/gcp-proxy-protocol': 'true' } },
        spec: {
          type: 'LoadBalancer',
          selector: { app: 'front' },
          ports: [
            { name: 'a', port: p1, targetPort: 9999, protocol: 'TCP' },
            { name: 'b', port: p2, targetPort: 9999, protocol: 'TCP' },
          ],
        },
      },
    });
    const deadline = performance.now() + 60_000;
    let ingress: k8s.V1LoadBalancerIngress[] = [];
    while (performance.now() < deadline) {
      ingress = (await core.readNamespacedService({ namespace: 'front', name: 'front' })).status?.loadBalancer?.ingress ?? [];
      if ((ingress[0]?.ports ?? []).length === 2) break;
      await sleep(300);
    }
    assert.equal(ingress.length, 1, `one address for the Service: ${JSON.stringify(ingress)}`);
    const ip = String(ingress[0]?.ip);
    assert.deepEqual(ingress[0]?.ports?.map((p) => p.port), [p1, p2].sort((a, b) => a - b));
    const owned = compute.state.addresses().filter((a) => String(a['name']).startsWith('sl-'));
    assert.equal(owned.length, 1, 'Sluice reserved one address');
    assert.equal(owned[0]?.['address'], ip);
    const rules = compute.state.forwardingRules().filter((r) => r['IPAddress'] === ip);
    assert.equal(rules.length, 2, 'both forwarding rules are on the reserved address');

    await waitForPod(core, 'front', 'front-0', 'Ready (its gate passed)', (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, 60_000);
    for (const port of [p1, p2]) assert.equal(await firstAnswer(ip, port), 'ok\n', `${ip}:${port} answers`);
    const headers = recorder.lines.filter((l) => l.startsWith('PROXY '));
    assert.ok(headers.some((h) => new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 ${ip.replaceAll('.', '\\.')} \\d+ ${p1}$`).test(h)), `the pod saw the client in a PROXY v1 header for port ${p1}: ${headers.join(' | ')}`);
    assert.ok(headers.some((h) => h.endsWith(` ${p2}`)), `and for port ${p2}: ${headers.join(' | ')}`);

    await core.deleteNamespacedService({ namespace: 'front', name: 'front' });
    const gone = performance.now() + 30_000;
    while (compute.state.addresses().some((a) => String(a['name']).startsWith('sl-')) && performance.now() < gone) await sleep(200);
    assert.deepEqual(sluiceResources(), [], 'deleting the Service removes everything Sluice created');
    assert.deepEqual(compute.state.addresses().map((a) => a['name']), ['foreign-ip'], 'the reserved address is released; the foreign one survives');
    process.stdout.write(
      `\ntwo-port Service through the proxy-NLB twin: ingress ${JSON.stringify(ingress)}; one reserved address ${String(owned[0]?.['name'])} (${ip}) for forwarding rules ${rules.map((r) => r['name']).join(', ')}\nthe pod saw: ${headers.join(' | ')}\nService deleted: address released, foreign-ip survives\n\n`,
    );
  } finally {
    recorder.stop();
  }
  // Every exchange of this job (subnetworks, firewalls, addresses, global operations included) against the SDK's protos.
  const violations = compute.protoCheck.checkedMethods().flatMap((m) => m.violations.map((v) => `${m.rpc}: ${v}`));
  process.stdout.write(`Compute API methods checked against @google-cloud/compute's protos:\n${compute.protoCheck.summary()}\n\n`);
  assert.deepEqual(violations, [], 'no request or response strays from the protos');
});

test('every Compute method the controller called here (firewall rules created and deleted, addresses, subnetworks, global operations) is granted by deploy/gcp/sluice-role.yaml', async () => {
  // The job seeds the project through the server's state, not its API: the log is the controller's alone.
  const called = compute.requests.byOperation();
  assert.ok(Object.keys(called).some((m) => m.startsWith('compute.firewalls.')), 'the job exercised the firewall rules');
  const role = checkRole(called, await readFile(new URL('../../../deploy/gcp/sluice-role.yaml', import.meta.url), 'utf8'), 'deploy/gcp/sluice-role.yaml');
  process.stdout.write(`\n${role.report}\n\n`);
  assert.deepEqual(role.unmapped, [], `Compute methods called but missing from e2e/jobs/gcp/compute-permissions.ts: ${role.unmapped.join(', ')}`);
  assert.deepEqual(role.missing, [], `permissions needed by the calls but not in deploy/gcp/sluice-role.yaml: ${role.missing.join(', ')}`);
});
