/**
 * e2e/ops: `sluice plan` against the real API server and the aws provider on moto.
 *
 * The controller registers a 2-pod Service and is stopped; the Deployment is scaled to 4
 * and a second Service is created. `sluice plan` then has to name exactly the 2 new pods
 * to register and a load balancer to create, while moto records no write call (moto's own
 * request recorder) and Kubernetes takes no write: the plan runs with the token of a
 * ServiceAccount bound only to the built-in `view` ClusterRole, and every Service, Pod and
 * EndpointSlice keeps its resourceVersion. After the controller runs again the plan is in
 * sync; a Service deleted while the controller is down plans `delete load balancer`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateTagsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import * as k8s from '@kubernetes/client-node';
import { type PlanReport, parseFlags, runPlan } from '@sluice/controller';
import { type AwsTarget, startAwsTarget } from '../../servers/aws/moto.ts';
import { consoleLogger, waitFor, writeKubeconfig } from '@sluice/testbed/harness';
import { CONTROLLER_MAIN, type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/jobs/ops/plan');
const CLUSTER = 'e2e';
const READ_ONLY_OPERATION = /^(Describe|Get|List)/;
let aws: AwsTarget;
let env: Environment;
let controller: ControllerProcess | undefined;
const work = mkdtempSync(join(tmpdir(), 'sluice-plan-e2e-'));

before(async () => {
  // moto's recorder appends every request it serves to this file while recording is on.
  process.env['MOTO_RECORDER_FILEPATH'] = join(work, 'moto-recording.jsonl');
  aws = await startAwsTarget(log);
  env = await startEnvironment(log);
});

after(async () => {
  await controller?.stop();
  await env?.stop();
  await aws?.stop();
  rmSync(work, { recursive: true, force: true });
});

function startController(): ControllerProcess {
  return startControllerProcess({
    provider: 'aws',
    kubeconfigPath: env.kubeconfigPath,
    env: aws.env,
    args: ['--cluster-name', CLUSTER, '--health-poll-ms', '200', '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--no-leader-elect'],
  });
}

/** A kubeconfig for a ServiceAccount bound only to the built-in `view` ClusterRole (TokenRequest token). */
async function viewOnlyKubeconfig(): Promise<string> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const rbac = env.kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  const view = await rbac.readClusterRole({ name: 'view' });
  if ((view.rules ?? []).length === 0) {
    // The harness runs no clusterrole-aggregation controller: fill `view` from the roles
    // labelled aggregate-to-view, as that controller would in a real cluster.
    const selector = view.aggregationRule?.clusterRoleSelectors?.[0]?.matchLabels ?? { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' };
    const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    const rules = (await rbac.listClusterRole({ labelSelector })).items.flatMap((r) => r.rules ?? []);
    await rbac.replaceClusterRole({ name: 'view', body: { ...view, rules } });
  }
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'sluice-plan' } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'sluice-plan-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'sluice-plan', namespace: 'default' }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({ name: 'sluice-plan', namespace: 'default', body: { spec: { expirationSeconds: 3600 } } });
  const cluster = env.kubeConfig.getCurrentCluster()!;
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : readFileSync(cluster.caFile!, 'utf8');
  const path = join(work, 'view-kubeconfig.json');
  const bearer = token.status?.token;
  assert.ok(bearer, 'the TokenRequest returned a token');
  await writeKubeconfig(path, { server: env.server, token: bearer, caPem, name: 'sluice-plan' });
  return path;
}

let wired: boolean | undefined;

/** Runs `sluice plan` (the binary; in-process runPlan while main.ts does not dispatch `plan` yet). */
async function sluicePlan(kubeconfig: string, output: 'text' | 'json'): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['plan', '--provider', 'aws', '--kubeconfig', kubeconfig, '--cluster-name', CLUSTER, '--handle-unclassed', '--output', output];
  if (wired !== false) {
    const r = spawnSync(process.execPath, ['--conditions=@sluice/source', CONTROLLER_MAIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...aws.env },
      timeout: 120_000,
    });
    if (!(r.status === 2 && /plan is not wired/.test(r.stderr))) {
      wired = true;
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    }
    wired = false;
    log.info('main.ts does not dispatch `sluice plan` yet: running runPlan in-process');
  }
  const parsed = parseFlags(args, process.env);
  assert.equal(parsed.kind, 'plan');
  if (parsed.kind !== 'plan') assert.fail();
  Object.assign(process.env, aws.env);
  const out: string[] = [];
  const err: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => err.push(m), error: (m: string) => err.push(m) };
  const code = await runPlan(parsed.config, output, { log: logger, write: (l) => out.push(l), signal: AbortSignal.timeout(120_000) });
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.join('\n') };
}

/** Operations moto served while `fn` ran, from moto's request recorder. */
async function motoOperations(fn: () => Promise<void>): Promise<string[]> {
  const api = (path: string, method = 'POST') => fetch(`${aws.endpoint}/moto-api/recorder/${path}`, { method });
  await api('reset-recording');
  await api('start-recording');
  try {
    await fn();
  } finally {
    await api('stop-recording');
  }
  const text = await (await api('download-recording', 'GET')).text();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const entry = JSON.parse(l) as { headers: Record<string, string>; body?: string; body_encoded?: boolean; url: string };
      const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
      const target = Object.entries(entry.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1];
      return new URLSearchParams(body).get('Action') ?? target?.split('.').pop() ?? new URL(entry.url).searchParams.get('Action') ?? `unknown ${entry.url}`;
    });
}

/** resourceVersion of every Service, Pod and EndpointSlice in the namespaces. */
async function versions(namespaces: readonly string[]): Promise<Record<string, string>> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const discovery = env.kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
  const out: Record<string, string> = {};
  for (const namespace of namespaces) {
    for (const s of (await core.listNamespacedService({ namespace })).items) out[`service ${namespace}/${s.metadata?.name}`] = s.metadata?.resourceVersion ?? '';
    for (const p of (await core.listNamespacedPod({ namespace })).items) out[`pod ${namespace}/${p.metadata?.name}`] = p.metadata?.resourceVersion ?? '';
    for (const e of (await discovery.listNamespacedEndpointSlice({ namespace })).items) out[`slice ${namespace}/${e.metadata?.name}`] = e.metadata?.resourceVersion ?? '';
  }
  return out;
}

/** IPs of the pods in the namespace whose containers are ready and that are endpoints of the Service. */
async function readyEndpointIps(namespace: string, service: string, count: number): Promise<string[]> {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const discovery = env.kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
  return waitFor(
    `${count} pods of ${namespace}/${service} with ready containers in its EndpointSlices`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace })).items.filter(
        (p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True'),
      );
      const slices = (await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` })).items;
      const listed = new Set(slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.targetRef?.uid)));
      const ips = pods.filter((p) => listed.has(p.metadata?.uid)).map((p) => p.status!.podIP!);
      return pods.length === count && ips.length === count ? ips.sort() : false;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

test('sluice plan names what the controller would do, writes nothing, and is in sync after the controller ran', { timeout: 600_000 }, async () => {
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  if (!aws.real) {
    // Subnet discovery for internal NLBs, as in e2e/aws.
    const ec2 = new EC2Client({ region: aws.region, endpoint: aws.endpoint!, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
  }

  // 1. The controller registers a 2-pod Service, then stops.
  controller = startController();
  await controller.ready();
  const web = new Workload(env.kubeConfig, { namespace: 'shop', name: 'web', replicas: 2, servicePort: 80, sigterm: 'close', preStopSeconds: 1, terminationGracePeriodSeconds: 3 });
  await web.create();
  await web.waitForRollout(2); // the pods pass Sluice's readiness gate only once the LB has them healthy
  const registered = await readyEndpointIps('shop', 'web', 2);
  await controller.stop();
  controller = undefined;

  // 2. With the controller down: scale to 4 and add a second Service.
  await web.scale(4);
  const all = await readyEndpointIps('shop', 'web', 4);
  const added = all.filter((ip) => !registered.includes(ip));
  assert.equal(added.length, 2);
  const api = new Workload(env.kubeConfig, { namespace: 'orders', name: 'api', replicas: 2, servicePort: 8081, sigterm: 'close', preStopSeconds: 1, terminationGracePeriodSeconds: 3 });
  await api.create();
  const apiIps = await readyEndpointIps('orders', 'api', 2);

  // 3. The plan, read-only on both sides.
  const kubeconfig = await viewOnlyKubeconfig();
  const viewer = new k8s.KubeConfig();
  viewer.loadFromFile(kubeconfig);
  await assert.rejects(
    viewer.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'probe' } } }),
    (e: { code?: number }) => e.code === 403,
    'the view-only account cannot write',
  );
  const before = await versions(['shop', 'orders']);
  let text = { code: -1, stdout: '', stderr: '' };
  let json = { code: -1, stdout: '', stderr: '' };
  const operations = await motoOperations(async () => {
    text = await sluicePlan(kubeconfig, 'text');
    json = await sluicePlan(kubeconfig, 'json');
  });
  process.stdout.write(`\nsluice plan (controller stopped, web scaled 2 -> 4, orders/api new):\n${text.stdout}\n`);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(await versions(['shop', 'orders']), before, 'no Service, Pod or EndpointSlice changed');

  if (!aws.real) {
    assert.ok(operations.includes('DescribeLoadBalancers'), `moto's recorder saw the plan's reads: ${operations.join(', ')}`);
    const writes = operations.filter((op) => !READ_ONLY_OPERATION.test(op));
    assert.deepEqual(writes, [], `moto saw only reads during plan, got ${operations.join(', ')}`);
    process.stdout.write(`moto requests during the two plans: ${JSON.stringify(Object.fromEntries(count(operations)))}\n`);
  }

  const plans = JSON.parse(json.stdout) as PlanReport[];
  assert.deepEqual(plans.map((p) => [p.service, p.status]), [['orders/api', 'changes'], ['shop/web', 'changes']]);
  const [apiPlan, webPlan] = plans as [PlanReport, PlanReport];
  const row = (w: PlanReport['writes'][number]) => (w.verb === 'register' ? `register ${w.address} ${w.detail.replace(/\s+/g, ' ')}` : w.verb === 'set gate' ? `set gate ${w.detail.split(/\s+/)[0]}` : w.verb);
  assert.deepEqual(
    webPlan.writes.map(row),
    [...added.map((ip) => `register ${ip}:8080 port http weight 1`), 'set gate False', 'set gate False'],
    'exactly the 2 new pods are registered on the existing LB and get their gate condition; nothing else changes on shop/web',
  );
  assert.deepEqual(apiPlan.writes.map((w) => (w.verb === 'register' ? `register ${w.address}` : w.verb === 'create' ? `create ${w.detail}` : w.verb)), [
    'add finalizer',
    'create with 2 backends',
    ...apiIps.map((ip) => `register ${ip}:8080`),
    'annotate',
    'set ingress',
    'set gate',
    'set gate',
  ]);
  const lines = text.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), '2 services: 2 with changes, 0 in sync, 0 with errors');
  assert.ok(lines.some((l) => l.startsWith('shop/web  load balancer ') && l.endsWith(': 4 changes')), text.stdout);
  assert.ok(lines.some((l) => /^ {2}create +load balancer /.test(l)), text.stdout);
  assert.equal(lines.filter((l) => /^ {2}register +shop\/web-/.test(l)).length, 2, text.stdout);

  // 4. The controller converges everything; the plan is then in sync.
  const converging = await motoOperations(async () => {
    controller = startController();
    await controller.ready();
    await web.waitForRollout(4);
    await api.waitForRollout(2);
  });
  if (!aws.real) {
    // The recorder that saw no write during plan does see the controller's.
    for (const op of ['CreateLoadBalancer', 'RegisterTargets']) assert.ok(converging.includes(op), `moto recorded ${op}: ${converging.join(', ')}`);
  }
  const synced = await sluicePlan(kubeconfig, 'text');
  process.stdout.write(`\nsluice plan after the controller ran:\n${synced.stdout}\n`);
  assert.equal(synced.code, 0, synced.stderr);
  assert.deepEqual(synced.stdout.trimEnd().split('\n').filter((l) => l !== ''), [
    `orders/api  load balancer ${apiPlan.loadBalancer}: in sync`,
    `shop/web  load balancer ${webPlan.loadBalancer}: in sync`,
    '2 services: 0 with changes, 2 in sync, 0 with errors',
  ]);

  // 5. A Service deleted while the controller is down: its finalizer holds it, the plan deletes the LB.
  // (assigned inside the recording callback above, which TypeScript's narrowing does not see)
  await (controller as ControllerProcess | undefined)?.stop();
  controller = undefined;
  await core.deleteNamespacedService({ name: 'api', namespace: 'orders' });
  const deleting = await sluicePlan(kubeconfig, 'json');
  assert.equal(deleting.code, 0, deleting.stderr);
  const deletePlan = (JSON.parse(deleting.stdout) as PlanReport[]).find((p) => p.service === 'orders/api');
  assert.deepEqual(
    deletePlan?.writes.map((w) => `${w.verb}: ${w.object}: ${w.detail}`),
    [`delete: load balancer ${apiPlan.loadBalancer}: the Service is being deleted`, 'remove finalizer: sluice.dev/load-balancer-cleanup: '],
  );

  controller = startController();
  await controller.ready();
  await waitFor('orders/api released by the controller', async () => {
    try {
      await core.readNamespacedService({ name: 'api', namespace: 'orders' });
      return false;
    } catch (e) {
      return (e as { code?: number }).code === 404;
    }
  }, { timeoutMs: 60_000, intervalMs: 250 });
  const afterDelete = await sluicePlan(kubeconfig, 'text');
  assert.equal(afterDelete.stdout.trimEnd().split('\n').at(-1), '1 service: 0 with changes, 1 in sync, 0 with errors');
});

function count(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}
