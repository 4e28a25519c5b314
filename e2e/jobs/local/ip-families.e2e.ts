/**
 * e2e/local: IP families. The control plane is dual-stack (Service ranges of both families),
 * the pod network has an IPv4 /16 and an IPv6 /64, and the real controller runs the local
 * provider. Two Services, each through rolling updates under steady load:
 * (a) IPv6-only (`ipFamilies: [IPv6]`, SingleStack) over IPv6-only pods, its LB listening on
 *     `::1`: one EndpointSlice, addressType IPv6; the LB's backends are the pods' IPv6
 *     addresses; clients reach it over IPv6, it reaches the pods over IPv6.
 * (b) dual-stack (`RequireDualStack`, [IPv4, IPv6]) over dual-stack pods, its LB on
 *     127.0.0.1: one slice per family; the LB holds both addresses of every pod, and each
 *     pod's gate passes only once both are healthy.
 * Both must lose no request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { consoleLogger, familyOf, freeLoopbackPorts, type IpFamily, waitFor } from '@sluice/testbed/harness';
import type { LoadOptions } from '@sluice/testbed/load';
import { type BackendCounts, type ControllerProcess, type Environment, formatBackendCounts, healthyIpsByPod, readBackendGauge, runRolloutScenario, sampleServedBy, startControllerProcess, startEnvironment, type Workload } from '@sluice/testbed/scenario';

/**
 * The resync is short because `sluice_backends` counts what the last health read saw: a
 * backend the controller itself removed (an old pod gone) leaves the gauge only at the next
 * read, which a resync brings.
 */
const FAST = ['--health-poll-ms', '100', '--local-health-interval-ms', '200', '--resync-period', '10'];
const REPLICAS = 3;
const ROLLOUTS = 3;
/** Paced, so the two cores the run shares keep up: every transition still sees dozens of requests. */
const LOAD: Omit<LoadOptions, 'host' | 'port'> = { freshWorkers: 3, keepAliveWorkers: 3, ratePerSecond: 150, requestTimeoutMs: 3000, maxDurationMs: 120_000 };

interface FamilyCase {
  readonly name: string;
  readonly namespace: string;
  /** `--local-address`: where the LB listens and what the Service status advertises. */
  readonly localAddress: string;
  readonly ipFamilies: readonly IpFamily[];
  readonly ipFamilyPolicy: 'SingleStack' | 'RequireDualStack';
  readonly podIpFamilies: readonly IpFamily[];
}

interface FamilyRow {
  readonly name: string;
  readonly lb: string;
  readonly requests: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
  /** Healthy LB backends per pod, at each inspection (serving, after the rollouts). */
  readonly backendsPerPod: readonly number[];
  readonly slices: string;
  /** Pods whose gate passed before every one of their backends was healthy. */
  readonly earlyGates: number;
  readonly gates: number;
  readonly rolloutsMs: readonly number[];
}

const log = consoleLogger('e2e/ip-families');
let env: Environment;
const rows: FamilyRow[] = [];

before(async () => {
  env = await startEnvironment(log, { podIpFamilies: ['IPv4', 'IPv6'] });
  log.info(`environment up: pod network ${env.network.cidr} and ${env.network.cidr6}`);
});
after(async () => {
  if (rows.length > 0) process.stdout.write(`\n${formatRows(rows)}\n\n`);
  await env?.stop();
});

/** The pod's addresses of `families`. */
function podIps(pod: V1Pod, families: readonly IpFamily[]): string[] {
  return (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip) => families.includes(familyOf(ip)!));
}

/**
 * What the cluster and the LB hold for the Service now: one EndpointSlice per Service family
 * listing exactly the pods' addresses of that family, and on the LB exactly the pods'
 * addresses of the Service's families, all healthy (the controller's log and its
 * `sluice_backends` gauge agree), and traffic through the LB reaches every one of them.
 * Returns the LB's backends per pod (as its log tells; the fewest any pod has).
 */
async function inspect(c: FamilyCase, controller: ControllerProcess, w: Workload, when: string): Promise<{ perPod: number; slices: string }> {
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  const discovery = env.kubeConfig.makeApiClient(DiscoveryV1Api);
  const pods = (await core.listNamespacedPod({ namespace: c.namespace, labelSelector: `app=${w.o.name}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(pods.length, REPLICAS, `${c.name} ${when}: ${REPLICAS} pods`);
  for (const pod of pods) {
    assert.deepEqual(
      (pod.status?.podIPs ?? []).map((p) => familyOf(p.ip)),
      c.podIpFamilies,
      `${c.name} ${when}: pod ${pod.metadata?.name} has addresses ${JSON.stringify(pod.status?.podIPs)}`,
    );
  }

  const want = new Map(c.ipFamilies.map((f) => [f, pods.flatMap((p) => podIps(p, [f])).sort()]));
  const slices = await waitFor(
    `${c.name} ${when}: one EndpointSlice per family (${c.ipFamilies.join(', ')}) listing the pods' addresses`,
    async () => {
      const list = await discovery.listNamespacedEndpointSlice({ namespace: c.namespace, labelSelector: `kubernetes.io/service-name=${w.o.name}` });
      const got = new Map<string, string[]>();
      for (const s of list.items) got.set(s.addressType, [...(got.get(s.addressType) ?? []), ...(s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)]);
      for (const ips of got.values()) ips.sort();
      const same = got.size === want.size && [...want].every(([f, ips]) => JSON.stringify(got.get(f)) === JSON.stringify(ips));
      return same ? list.items : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  assert.equal(slices.length, c.ipFamilies.length, `${c.name} ${when}: one slice per family`);

  const service = `${c.namespace}/${w.o.name}`;
  const uids = pods.map((p) => p.metadata!.uid!);
  const expected = new Map(pods.map((p) => [p.metadata!.uid!, podIps(p, c.ipFamilies).sort()]));
  const onLb = await waitFor(
    `${c.name} ${when}: the LB holding every pod's ${c.ipFamilies.join(' and ')} address, healthy`,
    async () => {
      const got = healthyIpsByPod(controller.lines, service, uids);
      return [...expected].every(([uid, ips]) => JSON.stringify(got.get(uid)) === JSON.stringify(ips)) ? got : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const perPod = Math.min(...[...onLb.values()].map((ips) => ips.length));
  const total = [...onLb.values()].reduce((n, ips) => n + ips.length, 0);
  let last: BackendCounts | undefined;
  const counts = await waitFor(
    `${c.name} ${when}: sluice_backends healthy ${total} and nothing else`,
    async () => {
      const n = (last = await readBackendGauge(controller));
      return n.healthy === total && n.initial + n.unhealthy + n.draining === 0 ? n : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last read: ${last ? formatBackendCounts(last) : 'none'}`, { cause: error });
  });

  // Traffic agrees: through the LB, every one of those addresses answers, and nothing else.
  const { host, port } = await w.waitForAddress();
  const sample = await sampleServedBy(host, port, 8 * total);
  assert.equal(sample.failed, 0, `${c.name} ${when}: requests through the LB failed`);
  assert.deepEqual([...sample.byAddress.keys()].sort(), [...expected.values()].flat().sort(), `${c.name} ${when}: the pod addresses that answered through the LB`);
  const answered = c.ipFamilies.map((f) => `${f} ${[...sample.byAddress].filter(([a]) => familyOf(a) === f).reduce((n, [, k]) => n + k, 0)}`).join(', ');
  log.info(`${c.name} ${when}: slices ${slices.map((s) => s.addressType).join(', ')}; sluice_backends ${formatBackendCounts(counts)}; answered by ${answered}`);
  return { perPod, slices: slices.map((s) => s.addressType).sort().join('+') };
}

/**
 * The Service's pods whose gate passed, and how many of them passed it before a `healthy`
 * line of each of their backends (every backend the log ever names for the pod). A pod whose
 * gate is patched again (a write that lost a race is redone) counts once, at its first pass.
 */
function gatesBeforeHealthy(controller: ControllerProcess, namespace: string, service: string): { early: number; gates: number } {
  const firstHealthy = new Map<string, Map<string, number>>();
  const firstGate = new Map<string, number>();
  controller.lines.forEach((l, i) => {
    const uid = String(l['podUid']);
    if (l.msg === 'gate passed' && String(l['pod']).startsWith(`${namespace}/`) && !firstGate.has(uid)) firstGate.set(uid, i);
    if (l.msg !== 'backend health changed' || l['service'] !== service) return;
    const mine = firstHealthy.get(uid) ?? new Map<string, number>();
    firstHealthy.set(uid, mine);
    const backend = String(l['backend']);
    const seen = mine.get(backend) ?? Number.POSITIVE_INFINITY;
    mine.set(backend, l['to'] === 'healthy' ? Math.min(seen, i) : seen);
  });
  let early = 0;
  for (const [uid, at] of firstGate) {
    const backends = [...(firstHealthy.get(uid)?.values() ?? [])];
    if (backends.length === 0 || backends.some((healthyAt) => healthyAt > at)) early++;
  }
  return { early, gates: firstGate.size };
}

async function runCase(c: FamilyCase): Promise<FamilyRow> {
  const controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: [...FAST, '--local-address', c.localAddress] });
  try {
    await controller.ready();
    const [servicePort] = await freeLoopbackPorts(1);
    const perPod: number[] = [];
    let slices = '';
    const result = await runRolloutScenario({
      kubeConfig: env.kubeConfig,
      namespace: c.namespace,
      servicePort: servicePort!,
      sigterm: 'close',
      replicas: REPLICAS,
      rollouts: ROLLOUTS,
      scaleDownAndUp: false,
      load: LOAD,
      workload: { ipFamilies: c.ipFamilies, ipFamilyPolicy: c.ipFamilyPolicy, podIpFamilies: c.podIpFamilies },
      say: (line) => log.info(`${c.name}: ${line}`),
      onServing: async (w) => {
        const svc = await env.kubeConfig.makeApiClient(CoreV1Api).readNamespacedService({ name: w.o.name, namespace: c.namespace });
        assert.deepEqual([svc.spec?.ipFamilyPolicy, svc.spec?.ipFamilies], [c.ipFamilyPolicy, c.ipFamilies], `${c.name}: the API server kept the Service's families`);
        assert.equal(svc.status?.loadBalancer?.ingress?.[0]?.ip, c.localAddress, `${c.name}: the Service advertises the LB's address`);
        const seen = await inspect(c, controller, w, 'serving');
        perPod.push(seen.perPod);
        slices = seen.slices;
      },
      onDone: async (w) => {
        perPod.push((await inspect(c, controller, w, `after ${ROLLOUTS} rollouts`)).perPod);
      },
    });
    const { early, gates } = gatesBeforeHealthy(controller, c.namespace, `${c.namespace}/web`);
    return {
      name: c.name,
      lb: result.address,
      requests: result.requests,
      failed: result.failed,
      failures: result.failures,
      backendsPerPod: perPod,
      slices,
      earlyGates: early,
      gates,
      rolloutsMs: result.rolloutsMs,
    };
  } finally {
    await controller.stop();
    await controller.dataplane?.stop();
  }
}

function formatRows(list: readonly FamilyRow[]): string {
  const header = `${'family'.padEnd(11)} ${'LB'.padEnd(18)} ${'slices'.padEnd(10)} ${'requests'.padStart(8)} ${'failed'.padStart(6)}  ${'backends/pod'.padEnd(13)} ${'gates early/all'.padEnd(15)} rollouts ms`;
  return [
    header,
    ...list.map(
      (r) =>
        `${r.name.padEnd(11)} ${r.lb.padEnd(18)} ${r.slices.padEnd(10)} ${String(r.requests).padStart(8)} ${String(r.failed).padStart(6)}  ${r.backendsPerPod.join(' -> ').padEnd(13)} ${`${r.earlyGates}/${r.gates}`.padEnd(15)} ${r.rolloutsMs.join(', ')}`,
    ),
  ].join('\n');
}

function assertRow(row: FamilyRow, families: number): void {
  assert.ok(row.requests > 1000, `${row.name}: enough load went through (${row.requests} requests)`);
  assert.equal(row.failed, 0, `${row.name}: rollouts lost requests: ${JSON.stringify(row.failures)}`);
  assert.deepEqual(row.backendsPerPod, [families, families], `${row.name}: backends per pod while serving and after the rollouts`);
  assert.ok(row.gates >= REPLICAS * (ROLLOUTS + 1), `${row.name}: every pod passed its gate (${row.gates} gate passes)`);
  assert.equal(row.earlyGates, 0, `${row.name}: a pod's gate passed before all of its ${families} backends were healthy`);
}

test('an IPv6-only Service over IPv6-only pods serves through rolling updates with 0 failed requests', { timeout: 150_000 }, async () => {
  const row = await runCase({
    name: 'IPv6',
    namespace: 'families-ipv6',
    localAddress: '::1',
    ipFamilies: ['IPv6'],
    ipFamilyPolicy: 'SingleStack',
    podIpFamilies: ['IPv6'],
  });
  rows.push(row);
  assertRow(row, 1);
  assert.equal(row.slices, 'IPv6');
});

test('a dual-stack Service holds both addresses of every pod and serves through rolling updates with 0 failed requests', { timeout: 150_000 }, async () => {
  const row = await runCase({
    name: 'IPv4+IPv6',
    namespace: 'families-dual',
    localAddress: '127.0.0.1',
    ipFamilies: ['IPv4', 'IPv6'],
    ipFamilyPolicy: 'RequireDualStack',
    podIpFamilies: ['IPv4', 'IPv6'],
  });
  rows.push(row);
  assertRow(row, 2);
  assert.equal(row.slices, 'IPv4+IPv6');
});
