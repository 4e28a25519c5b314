/**
 * e2e/azure NSG: the real controller against the Standard LB twin whose pods' subnet has a
 * network security group with only Azure's default rules and one foreign rule.
 * - Without `--azure-nsg` the gates open (the probes pass on AllowAzureLoadBalancerInBound)
 *   and every client flow is dropped (DenyAllInBound): the trap.
 * - With `--azure-nsg` Sluice writes one Allow rule per Service port (source Internet,
 *   destination the pods' addresses, port the pods' port, a priority its range has free): served.
 * - `loadBalancerSourceRanges` narrow the rule: a client inside is served, one outside refused.
 * - Deleting the Service deletes Sluice's rule; the foreign rule is untouched throughout.
 * Every ARM operation the controller called maps to an action of deploy/azure/sluice-role.json.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts } from '@sluice/testbed/harness';
import { AZURE_SLB_PROFILE, type ControllerProcess, type Environment, type ProviderBackend, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';
import { armCallBudget } from '../../servers/azure/index.ts';
import { ARM_OPERATION_ACTIONS, roleActions } from './network-actions.ts';
import { type AzureTwin, azureTwinProvider, TWIN_NSG, TWIN_RESOURCE_GROUP } from './twin-provider.ts';

const log = consoleLogger('e2e/azure-nsg');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Someone else's rule, at a priority inside Sluice's default range. */
const FOREIGN = {
  name: 'team-b-deny-ssh',
  properties: { protocol: 'Tcp', access: 'Deny', direction: 'Inbound', priority: 3000, sourceAddressPrefix: '192.0.2.0/24', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' },
};
let env: Environment;
let backend: ProviderBackend | undefined;
let controller: ControllerProcess | undefined;
const provider = azureTwinProvider({ nsgRules: [FOREIGN] });

before(async () => {
  env = await startEnvironment(log);
  backend = await provider.start(env, AZURE_SLB_PROFILE);
});
after(async () => {
  await controller?.stop();
  await backend?.stop();
  await env?.stop();
});

/** Whether an HTTP GET from `from` through the load balancer is answered within 4 s (a dropped flow is reset after the twin's connect timeout). */
function served(from: string, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: from });
    let answer = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 4000);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d) => {
      answer += d.toString();
      if (answer.startsWith('HTTP/1.1 ')) done(/^HTTP\/1\.1 2\d\d/.test(answer));
    });
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(250);
  }
}

async function readyPodIps(namespace: string): Promise<string[]> {
  const pods = await env.kubeConfig.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP)
    .map((p) => p.status!.podIP!)
    .sort();
}

function startController(extra: readonly string[]): ControllerProcess {
  return startControllerProcess({
    provider: 'azure',
    kubeconfigPath: env.kubeconfigPath,
    args: [...backend!.controllerArgs, '--resync-period', '10', '--log-level', 'debug', ...extra],
    ...(backend!.controllerEnv ? { env: backend!.controllerEnv } : {}),
  });
}

const rulesOf = (twin: AzureTwin) => {
  const nsg = twin.arm.state.networkSecurityGroup(twin.subscriptionId, TWIN_RESOURCE_GROUP, TWIN_NSG);
  return ((nsg?.['properties'] as { securityRules?: { name: string; properties: Record<string, unknown> }[] })?.securityRules ?? []).map((r): Record<string, unknown> & { name: string } => ({ name: r.name, ...r.properties }));
};

test('without Sluice NSG rules the probes pass and clients are dropped; with them clients are served, source ranges enforced, foreign rules untouched', { timeout: 300_000 }, async () => {
  const twin = provider.twin()!;
  const [servicePort] = await freeLoopbackPorts(1);
  const report: string[] = [];

  // 1. The trap: Sluice without --azure-nsg.
  controller = startController([]);
  await controller.ready();
  const w = new Workload(env.kubeConfig, { namespace: 'nsg', name: 'web', replicas: 2, servicePort: servicePort!, sigterm: 'close' });
  await w.create();
  await w.waitForRollout(2);
  const { host, port } = await w.waitForAddress();
  const health = (await twin.arm.dataPlane!.client.state()).targetGroups.flatMap((g) => g.targets.map((t) => t.state));
  assert.ok(health.length === 2 && health.every((s) => s === 'healthy'), `the twin's probes passed (gates opened): ${health.join(', ')}`);
  assert.equal(await served('127.0.0.1', host, port), false, 'a client is dropped although every gate is open: DenyAllInBound');
  report.push(`without --azure-nsg: probes ${health.join('/')}, gates open, client 127.0.0.1 dropped; rules: ${rulesOf(twin).map((r) => r.name).join(', ')}`);
  await controller.stop();

  // 2. Sluice with --azure-nsg: a new Service gets its rule and is served.
  const requestsFrom = twin.arm.requests.entries().length;
  controller = startController(['--azure-nsg', TWIN_NSG]);
  await controller.ready();
  const [portB] = await freeLoopbackPorts(1);
  const b = new Workload(env.kubeConfig, { namespace: 'nsg-b', name: 'web', replicas: 2, servicePort: portB!, sigterm: 'close' });
  await b.create();
  await b.waitForRollout(2);
  const addrB = await b.waitForAddress();
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  // Sluice's rules name their Service in the description.
  const ruleOf = (namespace: string) => rulesOf(twin).find((r) => r.name.startsWith('sluice-') && String(r['description'] ?? '').includes(`Service ${namespace}/web `));
  await until('Sluice wrote the rule of nsg-b/web', () => ruleOf('nsg-b') !== undefined);
  const ruleB = ruleOf('nsg-b')!;
  assert.deepEqual(
    [ruleB['access'], ruleB['direction'], ruleB['protocol'], ruleB['sourceAddressPrefix'], ruleB['destinationAddressPrefixes'], ruleB['priority']],
    ['Allow', 'Inbound', 'Tcp', 'Internet', await readyPodIps('nsg-b'), 3001],
    "Internet to the pods' addresses, at the first priority of 3000-3999 the foreign rule left free",
  );
  assert.equal(await served('127.0.0.1', addrB.host, addrB.port), true, 'with its rule, a client is served');
  report.push(
    `with --azure-nsg, new Service nsg-b/web: rule ${ruleB.name} (priority ${ruleB['priority']}, ${ruleB['sourceAddressPrefix']} -> ${JSON.stringify(ruleB['destinationAddressPrefixes'])}:${ruleB['destinationPortRange']}); client 127.0.0.1 served`,
  );
  // The first Service's spec did not change: Sluice ensures it (and writes its rule) at its next change or drift check.
  assert.equal(await served('127.0.0.1', host, port), false, 'nsg/web has no rule yet: still dropped');

  // 3. Source ranges on the first Service: its spec changes, Sluice writes its rule with the range.
  await core.patchNamespacedService(
    { name: 'web', namespace: 'nsg', body: { spec: { loadBalancerSourceRanges: ['127.1.0.0/24'] } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await until('the rule of nsg/web carries the source range', () => ruleOf('nsg')?.['sourceAddressPrefix'] === '127.1.0.0/24');
  assert.equal(ruleOf('nsg')?.['priority'], 3002, 'the next free priority');
  await until('a client inside the range is served', () => served('127.1.0.1', host, port));
  assert.equal(await served('127.2.0.1', host, port), false, 'a client outside the range is refused');
  assert.equal(await served('127.0.0.1', host, port), false, 'an Internet client outside the range is refused');
  assert.equal(await served('127.2.0.1', addrB.host, addrB.port), true, "the other Service's rule is unchanged: Internet clients served");
  report.push('nsg/web loadBalancerSourceRanges [127.1.0.0/24]: rule at priority 3002; client 127.1.0.1 served, 127.2.0.1 and 127.0.0.1 refused; nsg-b/web still open');

  // 4. Delete: Sluice's rules go, the foreign one stays.
  await w.delete();
  await b.delete();
  await until("Sluice deleted its rules", () => !rulesOf(twin).some((r) => r.name.startsWith('sluice-')));
  assert.deepEqual(rulesOf(twin), [{ name: FOREIGN.name, provisioningState: 'Succeeded', ...FOREIGN.properties }], 'the foreign rule is untouched');
  report.push(`Services deleted: Sluice's rules gone, ${FOREIGN.name} untouched`);

  // Every ARM operation the controller called is in the role.
  const granted = new Set(roleActions(await readFile(new URL('../../../deploy/azure/sluice-role.json', import.meta.url), 'utf8')));
  const called = armCallBudget(twin.arm.requests.entries().slice(requestsFrom)).calls;
  const missing = Object.keys(called).flatMap((op) => (ARM_OPERATION_ACTIONS[op] ?? [`(unmapped operation ${op})`]).filter((a) => !granted.has(a)));
  assert.deepEqual(missing, [], 'every action the NSG calls need is in deploy/azure/sluice-role.json');
  assert.ok(called['SecurityRules_CreateOrUpdate'] && called['SecurityRules_Delete'] && called['NetworkSecurityGroups_Get'], `the NSG calls were made: ${JSON.stringify(called)}`);
  process.stdout.write(`\nNSG through the Standard LB twin:\n${report.map((l) => `  - ${l}`).join('\n')}\nARM calls with --azure-nsg: ${JSON.stringify(called)}\n\n`);
});

test('each startup check fails with its sentence when its condition is broken in the twin, and none fails when all hold', { timeout: 180_000 }, async () => {
  const twin = provider.twin()!;
  await controller?.stop();
  controller = undefined;
  // Running pods give the check addresses.
  const [checkPort] = await freeLoopbackPorts(1);
  const w = new Workload(env.kubeConfig, { namespace: 'checks', name: 'web', replicas: 1, servicePort: checkPort!, sigterm: 'close' });
  await w.create();
  await until('a running pod', async () => (await readyPodIps('checks')).length > 0);
  const other = twin.arm.state.createVirtualNetwork(twin.subscriptionId, TWIN_RESOURCE_GROUP, 'overlay-vnet', '10.99.0.0/16');

  const failures = async (extra: readonly string[], envOverride: Record<string, string> = {}) => {
    const c = startControllerProcess({
      provider: 'azure',
      kubeconfigPath: env.kubeconfigPath,
      args: [...backend!.controllerArgs, ...extra],
      env: { ...backend!.controllerEnv, ...envOverride },
    });
    try {
      await c.ready();
      return c.lines.filter((l) => l.msg === 'startup check failed').map((l) => `${String(l['check'])}: ${String(l['message'])}`);
    } finally {
      await c.stop();
    }
  };
  const shown: string[] = [];
  // The identity holds deploy/azure/sluice-role.json, as the deploy README assigns it.
  const role = roleActions(await readFile(new URL('../../../deploy/azure/sluice-role.json', import.meta.url), 'utf8'));
  twin.arm.setCallerRoles([{ actions: role }]);
  assert.deepEqual(await failures(['--azure-nsg', TWIN_NSG]), [], 'every check passes on a sound setup, with the role the deploy README assigns');

  const vnet = await failures(['--azure-nsg', TWIN_NSG], { AZURE_VNET_ID: String(other['id']) });
  assert.equal(vnet.length, 1, JSON.stringify(vnet));
  assert.match(vnet[0]!, /^virtual-network: Pod address 10\.\d+\.\d+\.\d+ is outside virtual network overlay-vnet \(10\.99\.0\.0\/16\): the cluster likely runs a CNI overlay .* Sluice needs pod IPs from the virtual network/);
  shown.push(vnet[0]!);

  twin.arm.setRuleHealthAvailable('westeurope', false);
  const health = await failures(['--azure-nsg', TWIN_NSG]);
  twin.arm.setRuleHealthAvailable('westeurope', true);
  assert.equal(health.length, 1, JSON.stringify(health));
  assert.match(health[0]!, /^health-report: The load-balancing-rule health report does not answer .*OperationNotSupportedInRegion.*every readiness gate will wait/);
  shown.push(health[0]!);

  twin.arm.setCallerRoles([{ actions: role, notActions: ['Microsoft.Network/networkSecurityGroups/securityRules/write'] }]);
  const denied = await failures(['--azure-nsg', TWIN_NSG]);
  assert.equal(denied.length, 1, JSON.stringify(denied));
  assert.match(
    denied[0]!,
    /^network-security-group: The identity may not write security rules in network security group pods-nsg \(missing Microsoft\.Network\/networkSecurityGroups\/securityRules\/write\): no Service's rule can be written, so clients will be dropped while probes pass; assign deploy\/azure\/sluice-role\.json/,
  );
  shown.push(denied[0]!);

  twin.arm.setCallerRoles([{ actions: role.filter((a) => a !== 'Microsoft.Authorization/permissions/read') }]);
  const unknown = await failures(['--azure-nsg', TWIN_NSG]);
  assert.equal(unknown.length, 1, JSON.stringify(unknown));
  assert.match(unknown[0]!, /^network-security-group: Sluice cannot tell whether it may write security rules in network security group pods-nsg: listing its permissions there failed \(AuthorizationFailed\)/);
  shown.push(unknown[0]!);
  twin.arm.setCallerRoles(undefined);

  const nsg = await failures(['--azure-nsg', 'no-such-nsg']);
  assert.equal(nsg.length, 1, JSON.stringify(nsg));
  assert.match(nsg[0]!, /^network-security-group: Network security group no-such-nsg in resource group sluice-rollout does not exist: create it/);
  shown.push(nsg[0]!);

  // The brief controllers above put Sluice's finalizer on the Service: one stays to release it.
  controller = startController(['--azure-nsg', TWIN_NSG]);
  await controller.ready();
  await w.delete();
  process.stdout.write(`\nstartup checks, each broken in the twin:\n${shown.map((l) => `  - ${l}`).join('\n')}\n\n`);
});
