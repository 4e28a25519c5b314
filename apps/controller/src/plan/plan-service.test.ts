import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import {
  type Backend,
  type ClusterWriter,
  EventRecorder,
  FINALIZER,
  type LoadBalancerIngress,
  type Logger,
  type PodLike,
  Reconciler,
  type ServiceLike,
  type ServiceProblem,
  type ServiceSpecView,
  backendAddressKey,
  toServiceView,
} from '@sluice/core';
import { FakeClock, GATE, type PodFixture, RecordingProvider, pod, service, slice } from '@sluice/core/testing';
import { snapshotOf } from './cluster-snapshot.ts';
import type { PlanOptions } from './plan-service.ts';
import type { ProviderAction, ServicePlan } from './plan-types.ts';
import { planCluster } from './run-plan.ts';

const signal = new AbortController().signal;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const KEY = 'default/web';
const LB = 'test-default-web';

/** A provider that also validates its own annotation, as the cloud providers do. */
class ValidatingProvider extends RecordingProvider {
  validate(s: ServiceSpecView): readonly ServiceProblem[] {
    const v = s.annotations['sluice.dev/local-scheme'];
    return v === undefined || v === 'internal'
      ? []
      : [{ field: 'metadata.annotations[sluice.dev/local-scheme]', message: `Service ${s.namespace}/${s.name} annotation sluice.dev/local-scheme="${v}" is invalid: allowed is internal.` }];
  }
}

interface Scenario {
  readonly name: string;
  readonly service: ServiceLike;
  readonly pods: readonly PodLike[];
  /** Backends on the LB before the plan; undefined: no LB. All healthy. */
  readonly lb?: readonly Backend[];
  readonly options?: Partial<PlanOptions>;
  readonly provider?: () => RecordingProvider;
  /** One line per plan entry (see brief()); [] means the Service is not listed at all. */
  readonly expect: readonly string[];
}

const backend = (name: string, ip: string, extra: Partial<Backend> = {}): Backend => ({
  servicePort: 'http',
  ip,
  port: 8080,
  podUid: `uid-${name}`,
  podName: name,
  weight: 1,
  ...extra,
});

/** A Service Sluice already handles: finalizer set, ingress written. */
function synced(s: ServiceLike = service(), extra: { deleting?: boolean; type?: string; ingress?: boolean } = {}): ServiceLike {
  return {
    ...s,
    metadata: { ...s.metadata, finalizers: [FINALIZER], ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { ...s.spec, ...(extra.type ? { type: extra.type } : {}) },
    ...(extra.ingress === false ? {} : { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } }),
  };
}

const a = (extra: Partial<PodFixture> = {}) => pod({ name: 'a', ip: '10.0.0.1', gate: 'True', ...extra });
const b = (extra: Partial<PodFixture> = {}) => pod({ name: 'b', ip: '10.0.0.2', gate: 'True', ...extra });

const scenarios: Scenario[] = [
  {
    name: 'new Service: the LB is created with the ready pods, then finalizer, ingress and gates',
    service: service(),
    pods: [pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3', state: 'starting' })],
    expect: [
      `create ${LB} 2`,
      'register default/a 10.0.0.1:8080 http w1',
      'register default/b 10.0.0.2:8080 http w1',
      '+finalizer',
      'ingress (new)',
      'gate default/a False LBRegistering',
      'gate default/b False LBRegistering',
    ],
  },
  {
    name: 'scale-up: only the new pods are registered; their gates wait for health',
    service: synced(),
    pods: [a(), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })],
    lb: [backend('a', '10.0.0.1')],
    expect: ['register default/b 10.0.0.2:8080 http w1', 'register default/c 10.0.0.3:8080 http w1', 'gate default/b False LBRegistering', 'gate default/c False LBRegistering'],
  },
  {
    name: 'terminating pod: drained, not removed',
    service: synced(),
    pods: [a(), b({ state: 'terminating' })],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    expect: ['drain default/b 10.0.0.2:8080 http'],
  },
  {
    name: '--no-drain: a terminating pod keeps its weight',
    service: synced(),
    pods: [a(), b({ state: 'terminating' })],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    options: { drain: false },
    expect: ['in-sync'],
  },
  {
    name: 'gone pod: deregistered',
    service: synced(),
    pods: [a()],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    expect: ['deregister - 10.0.0.2:8080 http pod gone'],
  },
  {
    name: 'exited pod whose object remains: deregistered, named',
    service: synced(),
    pods: [a(), b({ state: 'exited' })],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    expect: ['deregister default/b 10.0.0.2:8080 http pod exited'],
  },
  {
    name: 'in sync: nothing to write',
    service: synced(),
    pods: [a(), b()],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    expect: ['in-sync'],
  },
  {
    name: 'a new pod on a reused IP replaces the old registration',
    service: synced(),
    pods: [a(), pod({ name: 'b', ip: '10.0.0.2' })],
    lb: [backend('a', '10.0.0.1'), backend('old', '10.0.0.2')],
    expect: ['register default/b 10.0.0.2:8080 http w1 replaces uid-old', 'gate default/b False LBRegistering'],
  },
  {
    name: 'weight annotation changed: reweight',
    service: synced(),
    pods: [a({ weight: '5' })],
    lb: [backend('a', '10.0.0.1')],
    expect: ['reweight default/a 10.0.0.1:8080 http 1->5'],
  },
  {
    name: 'a port left the Service: the LB drops it and its backends',
    service: synced(),
    pods: [a()],
    lb: [backend('a', '10.0.0.1'), backend('a', '10.0.0.1', { servicePort: 'admin', port: 9090 })],
    expect: [`update ${LB}: remove Service port admin (no longer on the Service) and 1 backend on it`],
  },
  {
    name: 'ingress differs from the LB: status rewritten',
    service: synced(service(), { ingress: false }),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    expect: ['ingress 192.0.2.10'],
  },
  {
    name: 'bad core annotation: error, nothing else',
    service: service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': 'soon' } }),
    pods: [pod({ name: 'a', ip: '10.0.0.1' })],
    expect: ['error: Service default/web annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.'],
  },
  {
    name: "bad provider annotation (the provider's validate): error, nothing else",
    service: synced(service(undefined, { annotations: { 'sluice.dev/local-scheme': 'public' } })),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    provider: () => new ValidatingProvider(),
    expect: ['error: Service default/web annotation sluice.dev/local-scheme="public" is invalid: allowed is internal.'],
  },
  {
    name: 'unsupported protocol: error',
    service: service([{ name: 'http', port: 80, targetPort: 'http', protocol: 'SCTP' }]),
    pods: [pod({ name: 'a', ip: '10.0.0.1' })],
    expect: ['error: Service default/web spec.ports[0].protocol="SCTP" is not supported by the recording provider: allowed are TCP, UDP.'],
  },
  {
    name: 'deleted Service with the finalizer: LB deleted, finalizer released',
    service: synced(service(), { deleting: true }),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    expect: [`delete ${LB} exists the Service is being deleted`, '-finalizer'],
  },
  {
    name: 'type left LoadBalancer: LB deleted, ingress cleared, finalizer released',
    service: synced(service(), { type: 'ClusterIP' }),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    expect: [`delete ${LB} exists the Service's type is ClusterIP now`, 'clear ingress', '-finalizer'],
  },
  {
    name: 'deleted Service whose LB is already gone: the delete is a no-op, the finalizer goes',
    service: synced(service(), { deleting: true }),
    pods: [],
    expect: [`delete ${LB} absent the Service is being deleted`, '-finalizer'],
  },
  {
    name: "deleted Service without Sluice's finalizer: not listed",
    service: { ...service(), metadata: { ...service().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } },
    pods: [],
    expect: [],
  },
  {
    name: 'another loadBalancerClass: not listed',
    service: service(undefined, { loadBalancerClass: 'example.com/other' }),
    pods: [pod({ name: 'a', ip: '10.0.0.1' })],
    expect: [],
  },
  {
    name: 'the configured loadBalancerClass is handled',
    service: synced(service(undefined, { loadBalancerClass: 'example.com/sluice' })),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    options: { loadBalancerClass: 'example.com/sluice' },
    expect: ['in-sync'],
  },
];

/** One line per provider action, for readable tables. */
function actionLine(x: ProviderAction): string {
  switch (x.kind) {
    case 'create':
      return `create ${x.loadBalancer} ${x.backends}`;
    case 'update':
      return `update ${x.loadBalancer}: ${x.reason}`;
    case 'delete':
      return `delete ${x.loadBalancer} ${x.exists ? 'exists' : 'absent'} ${x.reason}`;
    case 'register':
      return `register ${x.pod} ${x.address} ${x.servicePort} w${x.weight}${x.replacesPodUid ? ` replaces ${x.replacesPodUid}` : ''}`;
    case 'reweight':
      return `reweight ${x.pod} ${x.address} ${x.servicePort} ${x.fromWeight}->${x.weight}`;
    case 'drain':
      return `drain ${x.pod} ${x.address} ${x.servicePort}`;
    case 'deregister':
      return `deregister ${x.pod || '-'} ${x.address} ${x.servicePort} ${x.reason}`;
  }
}

/** One line per entry of a Service's plan, for readable tables. */
function brief(p: ServicePlan | undefined): string[] {
  if (!p) return [];
  if (p.status === 'error') return [`error: ${p.error}`];
  if (p.status === 'in-sync') return ['in-sync'];
  const lines = p.actions.map(actionLine);
  for (const c of p.cluster) {
    if (c.kind === 'add-finalizer') lines.push('+finalizer');
    else if (c.kind === 'remove-finalizer') lines.push('-finalizer');
    else if (c.kind === 'set-ingress') lines.push(`ingress ${c.ingress ? c.ingress.map((i) => i.ip ?? i.hostname).join(',') : '(new)'}`);
    else if (c.kind === 'clear-ingress') lines.push('clear ingress');
    else lines.push(`gate ${c.pod} ${c.status} ${c.reason}`);
  }
  return lines;
}

async function setUp(s: Scenario): Promise<RecordingProvider> {
  const provider = s.provider?.() ?? new RecordingProvider();
  if (s.lb) {
    const view = toServiceView(s.service).view;
    await provider.ensureLoadBalancer('test', view, s.lb, signal);
    provider.setHealth(KEY, 'healthy');
    provider.calls.length = 0;
  }
  return provider;
}

function options(s: Scenario): PlanOptions {
  return { clusterName: 'test', gateConditionType: GATE, ...s.options };
}

function snapshot(s: Scenario) {
  return snapshotOf([s.service as k8s.V1Service], [slice(s.pods) as k8s.V1EndpointSlice], s.pods as k8s.V1Pod[]);
}

describe('planService: what a reconcile would write, without writing', () => {
  for (const s of scenarios) {
    test(s.name, async () => {
      const provider = await setUp(s);
      const plans = await planCluster(snapshot(s), provider, options(s), signal);
      assert.deepEqual(plans.flatMap(brief), s.expect);
      assert.deepEqual(provider.writes, [], 'no provider write');
      const reads = new Set(provider.calls.map((c) => c.method));
      for (const m of reads) assert.ok(m === 'getLoadBalancer' || m === 'getBackendHealth', `only read calls, saw ${m}`);
    });
  }

  test('the JSON shape of a register and a deregister', async () => {
    const s = scenarios.find((x) => x.name.startsWith('gone pod'))!;
    const plans = await planCluster(snapshot({ ...s, pods: [a(), pod({ name: 'c', ip: '10.0.0.3', gated: false })] }), await setUp(s), options(s), signal);
    assert.deepEqual(plans, [
      {
        service: KEY,
        loadBalancer: LB,
        status: 'changes',
        actions: [
          { kind: 'register', pod: 'default/c', address: '10.0.0.3:8080', servicePort: 'http', weight: 1 },
          { kind: 'deregister', pod: '', address: '10.0.0.2:8080', servicePort: 'http', reason: 'pod gone' },
        ],
        cluster: [],
      },
    ]);
  });

  test('Services are planned in namespace/name order and a provider read failure is that Service error only', async () => {
    class FailingReads extends RecordingProvider {
      override async getLoadBalancer(c: string, v: ServiceSpecView, sig: AbortSignal) {
        if (v.name === 'broken') throw new Error('connect ECONNREFUSED 127.0.0.1:1');
        return super.getLoadBalancer(c, v, sig);
      }
    }
    const svc = (name: string, namespace: string) => ({ ...service(undefined, { name }), metadata: { ...service(undefined, { name }).metadata, namespace } });
    const snap = snapshotOf([svc('zeta', 'a'), svc('broken', 'b'), svc('alpha', 'b')] as k8s.V1Service[], [], []);
    const plans = await planCluster(snap, new FailingReads(), { clusterName: 'test', gateConditionType: GATE }, signal);
    assert.deepEqual(
      plans.map((p) => [p.service, p.status, p.error ?? '']),
      [
        ['a/zeta', 'changes', ''],
        ['b/alpha', 'changes', ''],
        ['b/broken', 'error', 'cannot read the load balancer: connect ECONNREFUSED 127.0.0.1:1'],
      ],
    );
  });
});

/** Records a reconciler's cluster writes in the plan's brief terms. */
class FakeCluster implements ClusterWriter {
  readonly writes: string[] = [];
  async patchPodStatus(_ns: string, name: string, body: { status: { conditions: k8s.V1PodCondition[] } }): Promise<void> {
    this.writes.push(`gate default/${name} ${body.status.conditions.map((c) => `${c.status} ${c.reason}`).join(',')}`);
  }
  async patchServiceIngress(_ns: string, _name: string, ingress: readonly LoadBalancerIngress[]): Promise<void> {
    this.writes.push(ingress.length === 0 ? 'clear ingress' : 'ingress');
  }
  async setServiceFinalizers(_ns: string, _name: string, finalizers: readonly string[]): Promise<void> {
    this.writes.push(finalizers.includes(FINALIZER) ? '+finalizer' : '-finalizer');
  }
  async createEvent(): Promise<void> {}
  async patchEvent(): Promise<void> {}
}

/** What a reconcile changed on the LB, in the plan's terms. */
function lbDiff(before: readonly Backend[], after: readonly Backend[], existedBefore: boolean, existsAfter: boolean, calls: readonly string[]): string[] {
  // A deleted LB takes its backends with it.
  if (calls.includes('ensureLoadBalancerDeleted')) return ['delete'];
  const out: string[] = [];
  if (!existedBefore && existsAfter) out.push('create');
  const was = new Map(before.map((x) => [backendAddressKey(x), x]));
  const now = new Map(after.map((x) => [backendAddressKey(x), x]));
  for (const [k, x] of now) {
    const old = was.get(k);
    if (!old || old.podUid !== x.podUid) out.push(`register ${k}`);
    else if (old.weight !== x.weight) out.push(x.weight === 0 ? `drain ${k}` : `reweight ${k}`);
  }
  for (const k of was.keys()) if (!now.has(k)) out.push(`deregister ${k}`);
  return out.sort();
}

describe('a fresh reconcile does exactly what the plan said', () => {
  for (const s of scenarios) {
    test(s.name, async () => {
      const planned = (await planCluster(snapshot(s), await setUp(s), options(s), signal))[0];
      const provider = await setUp(s);
      const before = provider.backends(KEY);
      const snap = snapshot(s);
      const cluster = new FakeCluster();
      const clock = new FakeClock(1_000_000);
      const reconciler = new Reconciler({
        provider,
        writer: cluster,
        caches: snap.caches,
        events: new EventRecorder({ writer: cluster, clock, log: quiet }),
        clock,
        log: quiet,
        clusterName: 'test',
        gateConditionType: GATE,
        ...(s.options?.loadBalancerClass ? { loadBalancerClass: s.options.loadBalancerClass } : {}),
        ...(s.options?.drain !== undefined ? { drain: s.options.drain } : {}),
      });
      const result = await reconciler.reconcile(KEY, signal);
      const existsAfter = provider.calls.some((c) => c.method === 'ensureLoadBalancer') || (s.lb !== undefined && !provider.calls.some((c) => c.method === 'ensureLoadBalancerDeleted'));
      const did = lbDiff(before, provider.backends(KEY), s.lb !== undefined, existsAfter, provider.writes.map((w) => w.method));

      const expected: string[] = [];
      for (const x of planned?.actions ?? []) {
        if (x.kind === 'create' || x.kind === 'delete') expected.push(x.kind);
        else if (x.kind === 'update') for (const k of (s.lb ?? []).filter((l) => l.servicePort !== 'http')) expected.push(`deregister ${backendAddressKey(k)}`);
        else expected.push(`${x.kind} ${x.servicePort}|${x.address.replace(/:(\d+)$/, '|$1')}`);
      }
      assert.deepEqual(did, expected.sort(), 'LB changes');
      assert.deepEqual(
        cluster.writes,
        brief(planned).filter((l) => /^[+-]finalizer|^ingress|^clear ingress|^gate /.test(l)).map((l) => (l.startsWith('ingress') ? 'ingress' : l)),
        'cluster writes',
      );
      if (planned?.status === 'error') assert.equal(result.kind, 'terminal');
    });
  }
});
