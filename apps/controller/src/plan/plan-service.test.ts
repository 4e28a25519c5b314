import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import {
  appliedSpecDigest,
  type Backend,
  EventRecorder,
  FINALIZER,
  type Logger,
  type PodLike,
  Reconciler,
  type ServiceLike,
  type ServicePlan,
  type ServiceProblem,
  type ServiceSpecView,
  toServiceView,
} from '@sluice/core';
import {
  FakeClock,
  FakeCluster,
  fakeCaches,
  GATE,
  type PodFixture,
  pod,
  providerWriteRows,
  RecordingProvider,
  service,
  slice,
  writesMatchPlan,
} from '@sluice/core/testing';
import { snapshotOf } from './cluster-snapshot.ts';
import type { PlanOptions } from './plan-service.ts';
import type { PlanReport } from './plan-types.ts';
import { planCluster } from './run-plan.ts';

const signal = new AbortController().signal;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const KEY = 'default/web';
const LB = 'test-default-web';

/** A provider that also validates its own annotation, as the cloud providers do. */
class ValidatingProvider extends RecordingProvider {
  override readonly providerName: string = 'local';
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
  /** One line per write (`verb object address`), or `error: ...`, or `in-sync`; [] means the Service is not listed. */
  readonly expect: readonly string[];
}

const backend = (name: string, ip: string, extra: Partial<Backend> = {}): Backend => ({ servicePort: 'http', ip, port: 8080, podUid: `uid-${name}`, podName: name, weight: 1, ...extra });

/** A Service Sluice already handles: finalizer set, ingress written, applied spec recorded. */
function synced(s: ServiceLike = service(), extra: { deleting?: boolean; type?: string; ingress?: boolean } = {}): ServiceLike {
  const digest = appliedSpecDigest(toServiceView(s).view);
  return {
    ...s,
    metadata: {
      ...s.metadata,
      finalizers: [FINALIZER],
      annotations: { ...s.metadata?.annotations, 'sluice.dev/applied-spec': digest },
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { ...s.spec, ...(extra.type ? { type: extra.type } : {}) },
    ...(extra.ingress === false ? {} : { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } } }),
  };
}

const a = (extra: Partial<PodFixture> = {}) => pod({ name: 'a', ip: '10.0.0.1', gate: 'True', ...extra });
const b = (extra: Partial<PodFixture> = {}) => pod({ name: 'b', ip: '10.0.0.2', gate: 'True', ...extra });

const scenarios: Scenario[] = [
  {
    name: 'new Service: finalizer, the LB created with the ready pods, digest, ingress, gates',
    service: service(),
    pods: [pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3', state: 'starting' })],
    expect: [
      'add finalizer sluice.dev/load-balancer-cleanup',
      `create load balancer ${LB}`,
      'register default/a 10.0.0.1:8080',
      'register default/b 10.0.0.2:8080',
      'annotate sluice.dev/applied-spec',
      'set ingress (from the load balancer, if it changed)',
      'set gate default/a',
      'set gate default/b',
    ],
  },
  {
    name: 'scale-up: only the new pods are registered; their gates wait for health',
    service: synced(),
    pods: [a(), pod({ name: 'b', ip: '10.0.0.2' })],
    lb: [backend('a', '10.0.0.1')],
    expect: ['register default/b 10.0.0.2:8080', 'set gate default/b'],
  },
  { name: 'terminating pod: drained, not removed', service: synced(), pods: [a(), b({ state: 'terminating' })], lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')], expect: ['drain default/b 10.0.0.2:8080'] },
  {
    name: '--no-drain: a terminating pod keeps its weight',
    service: synced(),
    pods: [a(), b({ state: 'terminating' })],
    lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    options: { drain: false },
    expect: ['in-sync'],
  },
  { name: 'gone pod: deregistered', service: synced(), pods: [a()], lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')], expect: ['deregister pod uid-b 10.0.0.2:8080'] },
  { name: 'in sync: nothing to write', service: synced(), pods: [a(), b()], lb: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')], expect: ['in-sync'] },
  {
    name: 'a new pod on a reused IP replaces the old registration',
    service: synced(),
    pods: [a(), pod({ name: 'b', ip: '10.0.0.2' })],
    lb: [backend('a', '10.0.0.1'), backend('old', '10.0.0.2')],
    expect: ['register default/b 10.0.0.2:8080', 'set gate default/b'],
  },
  { name: 'weight annotation changed: reweight', service: synced(), pods: [a({ weight: '5' })], lb: [backend('a', '10.0.0.1')], expect: ['reweight default/a 10.0.0.1:8080'] },
  {
    name: 'a port left the Service: the LB is ensured without it and its backends',
    service: synced(),
    pods: [a()],
    lb: [backend('a', '10.0.0.1'), backend('a', '10.0.0.1', { servicePort: 'admin', port: 9090 })],
    expect: ['deregister pod uid-a 10.0.0.1:9090'],
  },
  { name: 'ingress differs from the LB: status rewritten', service: synced(service(), { ingress: false }), pods: [a()], lb: [backend('a', '10.0.0.1')], expect: ['set ingress 192.0.2.10'] },
  {
    name: 'bad core annotation: error, nothing else',
    service: service(undefined, { annotations: { 'sluice.dev/readiness-gate-timeout': 'soon' } }),
    pods: [pod({ name: 'a', ip: '10.0.0.1' })],
    expect: ['error: Service default/web annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.'],
  },
  {
    name: "bad provider annotation (the provider's validate): error, and an existing LB is left alone",
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
    expect: [
      'error: Service default/web spec.ports[0].protocol="SCTP" is not supported by the recording provider: allowed are TCP, UDP. Service default/web spec.ports[0].targetPort="http" names no SCTP container port of the 1 pod it selects: allowed is a port number (they name no SCTP port).',
    ],
  },
  {
    name: 'deleted Service with the finalizer: LB deleted, finalizer released',
    service: synced(service(), { deleting: true }),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    expect: [`delete load balancer ${LB}`, 'remove finalizer sluice.dev/load-balancer-cleanup'],
  },
  {
    name: 'type left LoadBalancer: LB deleted, ingress cleared, finalizer released',
    service: synced(service(), { type: 'ClusterIP' }),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    expect: [`delete load balancer ${LB}`, 'clear ingress', 'remove finalizer sluice.dev/load-balancer-cleanup'],
  },
  { name: "deleted Service without Sluice's finalizer: not listed", service: { ...service(), metadata: { ...service().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }, pods: [], expect: [] },
  { name: 'another loadBalancerClass: not listed', service: service(undefined, { loadBalancerClass: 'example.com/other' }), pods: [pod({ name: 'a', ip: '10.0.0.1' })], expect: [] },
  {
    name: 'the configured loadBalancerClass is handled',
    service: synced(service(undefined, { loadBalancerClass: 'example.com/sluice' })),
    pods: [a()],
    lb: [backend('a', '10.0.0.1')],
    options: { loadBalancerClass: 'example.com/sluice' },
    expect: ['in-sync'],
  },
];

function options(s: Scenario): PlanOptions {
  return { clusterName: 'test', gateConditionType: GATE, handleUnclassed: true, ...s.options };
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

function objects(s: Scenario) {
  const pods = s.pods as k8s.V1Pod[];
  const slices = pods.length > 0 ? [slice(s.pods) as k8s.V1EndpointSlice] : [];
  return { services: [s.service as k8s.V1Service], slices, pods };
}

const brief = (p: PlanReport | undefined): string[] => {
  if (!p) return [];
  if (p.status === 'error') return [`error: ${p.error}`];
  if (p.status === 'in-sync') return ['in-sync'];
  return p.writes.map((w) => [w.verb, w.object, w.address].filter(Boolean).join(' '));
};

describe('sluice plan: the writes a reconcile would make', () => {
  for (const s of scenarios) {
    test(s.name, async () => {
      const o = objects(s);
      const plans = await planCluster(snapshotOf(o.services, o.slices, o.pods), await setUp(s), options(s), signal);
      assert.deepEqual(brief(plans[0]), s.expect);
    });
  }
});

describe('a fresh reconcile does exactly what the plan printed', () => {
  for (const s of scenarios) {
    test(s.name, async () => {
      const o = objects(s);
      const printed = (await planCluster(snapshotOf(o.services, o.slices, o.pods), await setUp(s), options(s), signal))[0];
      const provider = await setUp(s);
      const caches = fakeCaches();
      for (const x of o.services) caches.services.put(x);
      for (const x of o.slices) caches.endpointSlices.put(x);
      for (const x of o.pods) caches.pods.put(x);
      const cluster = new FakeCluster(caches);
      const clock = new FakeClock(1_000_000);
      let executed: ServicePlan | undefined;
      const reconciler = new Reconciler({
        provider,
        writer: cluster,
        caches,
        events: new EventRecorder({ writer: cluster, clock, log: quiet }),
        clock,
        log: quiet,
        clusterName: 'test',
        gateConditionType: GATE,
        observer: { planned: (p) => (executed = p) },
        handleUnclassed: true,
        ...(s.options?.loadBalancerClass ? { loadBalancerClass: s.options.loadBalancerClass } : {}),
        ...(s.options?.drain !== undefined ? { drain: s.options.drain } : {}),
      });
      await reconciler.reconcile(KEY, signal);
      if (!printed) {
        assert.deepEqual([provider.writes.length, cluster.log.length], [0, 0], 'a Service the plan does not list is not written');
        return;
      }
      assert.ok(executed);
      assert.deepEqual(executed.key, printed.service);
      const made = providerWriteRows('default', LB, s.lb, provider.calls);
      const { planned, made: done } = writesMatchPlan(executed, made, cluster.log);
      assert.deepEqual(done, planned, 'the reconciler made exactly its plan');
      const printedRows = printed.writes.map((w) => `${w.verb}|${w.object}|${w.address}`);
      const { planRows } = await import('@sluice/core');
      assert.deepEqual(printedRows, planRows(executed).map((w) => `${w.verb}|${w.object}|${w.address}`), 'sluice plan printed the plan the reconciler executed');
    });
  }
});
