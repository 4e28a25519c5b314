import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { selectorMatches } from '@sluice/core';
import { AdmissionReviewError, mutate, type ServiceLookup } from './mutate.ts';

const GATE = 'sluice.dev/load-balancer-ready';

function svc(name: string, spec: Partial<k8s.V1ServiceSpec>, namespace = 'shop', extra: Partial<k8s.V1ObjectMeta> = {}): k8s.V1Service {
  return { metadata: { name, namespace, ...extra }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ...spec } };
}

const lookupOf = (services: readonly k8s.V1Service[]): ServiceLookup => ({
  servicesIn: (ns) => services.filter((s) => s.metadata?.namespace === ns),
});

function review(request: Record<string, unknown>): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'shop',
      ...request,
    },
  };
}

function podObject(labels: Record<string, string> | undefined, spec: Record<string, unknown> = {}): Record<string, unknown> {
  // A ReplicaSet's pod: generateName, no name and no namespace yet.
  return { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-abc-', ...(labels ? { labels } : {}) }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } };
}

function decodePatch(patch: string | undefined): unknown {
  return patch === undefined ? undefined : JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

const cases: {
  name: string;
  services: k8s.V1Service[];
  request: Record<string, unknown>;
  loadBalancerClass?: string;
  decision: string;
  patch?: unknown;
  warning?: RegExp;
}[] = [
  {
    name: 'a LoadBalancer Service without class selects the pod: gate list created',
    services: [svc('web', {})],
    request: { object: podObject({ app: 'web', tier: 'x' }) },
    decision: 'injected',
    patch: [{ op: 'add', path: '/spec/readinessGates', value: [{ conditionType: GATE }] }],
  },
  {
    name: 'the pod has other gates: the gate is appended',
    services: [svc('web', {})],
    request: { object: podObject({ app: 'web' }, { readinessGates: [{ conditionType: 'other.io/ready' }] }) },
    decision: 'injected',
    patch: [{ op: 'add', path: '/spec/readinessGates/-', value: { conditionType: GATE } }],
  },
  {
    name: 'the configured class selects the pod',
    services: [svc('web', { loadBalancerClass: 'sluice.dev/lb' })],
    loadBalancerClass: 'sluice.dev/lb',
    request: { object: podObject({ app: 'web' }) },
    decision: 'injected',
    patch: [{ op: 'add', path: '/spec/readinessGates', value: [{ conditionType: GATE }] }],
  },
  {
    name: 'the selector does not match the labels',
    services: [svc('web', { selector: { app: 'web', tier: 'front' } })],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'the pod has no labels',
    services: [svc('web', {})],
    request: { object: podObject(undefined) },
    decision: 'not-selected',
  },
  {
    name: 'a Service with an empty selector selects nothing',
    services: [svc('web', { selector: {} })],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'a Service without a selector (endpoints kept by hand) selects nothing',
    services: [svc('web', { selector: undefined })],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'another class is not Sluice\'s',
    services: [svc('web', { loadBalancerClass: 'other.io/lb' })],
    loadBalancerClass: 'sluice.dev/lb',
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'a ClusterIP Service is not handled',
    services: [svc('web', { type: 'ClusterIP' })],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'a Service in another namespace does not count',
    services: [svc('web', {}, 'other')],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'a Service being deleted does not count',
    services: [svc('web', {}, 'shop', { deletionTimestamp: new Date() })],
    request: { object: podObject({ app: 'web' }) },
    decision: 'not-selected',
  },
  {
    name: 'the pod already has the gate',
    services: [svc('web', {})],
    request: { object: podObject({ app: 'web' }, { readinessGates: [{ conditionType: GATE }] }) },
    decision: 'present',
  },
  {
    name: 'UPDATE is ignored',
    services: [svc('web', {})],
    request: { operation: 'UPDATE', object: podObject({ app: 'web' }), oldObject: podObject({ app: 'web' }) },
    decision: 'ignored',
  },
  {
    name: 'a pods/status subresource is ignored',
    services: [svc('web', {})],
    request: { subResource: 'status', object: podObject({ app: 'web' }) },
    decision: 'ignored',
  },
  {
    name: 'another kind is ignored',
    services: [svc('web', {})],
    request: { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: { metadata: { labels: { app: 'web' } } } },
    decision: 'ignored',
  },
  {
    name: 'no object: allowed with a warning',
    services: [svc('web', {})],
    request: { object: 'not a pod' },
    decision: 'error',
    warning: /no pod object/,
  },
  {
    name: 'readinessGates not a list: allowed with a warning',
    services: [svc('web', {})],
    request: { object: podObject({ app: 'web' }, { readinessGates: 'x' }) },
    decision: 'error',
    warning: /not a list/,
  },
  {
    name: 'no namespace anywhere: allowed with a warning',
    services: [svc('web', {})],
    request: { namespace: undefined, object: podObject({ app: 'web' }) },
    decision: 'error',
    warning: /no namespace/,
  },
];

for (const c of cases) {
  test(`mutate: ${c.name}`, () => {
    const { review: out, decision } = mutate(review(c.request), lookupOf(c.services), { gateConditionType: GATE, handleUnclassed: true, ...(c.loadBalancerClass ? { loadBalancerClass: c.loadBalancerClass } : {}) });
    assert.equal(out.apiVersion, 'admission.k8s.io/v1');
    assert.equal(out.kind, 'AdmissionReview');
    assert.equal(out.response.uid, 'uid-1');
    assert.equal(out.response.allowed, true);
    assert.equal(decision.kind, c.decision);
    if (c.patch) {
      assert.equal(out.response.patchType, 'JSONPatch');
      assert.deepEqual(decodePatch(out.response.patch), c.patch);
    } else {
      assert.equal(out.response.patch, undefined);
      assert.equal(out.response.patchType, undefined);
    }
    if (c.warning) {
      assert.equal(out.response.warnings?.length, 1);
      assert.match(out.response.warnings![0]!, c.warning);
      assert.ok(out.response.warnings![0]!.length <= 120);
    } else assert.equal(out.response.warnings, undefined);
  });
}

test('mutate: selects exactly the pods the shared selector matcher selects', () => {
  // The controller's key mappers and the decision path ask selectorMatches too; the webhook
  // must not drift from them, or a pod gets a gate no reconcile ever passes (or none at all).
  const pairs: [Record<string, string> | undefined, Record<string, string> | undefined][] = [
    [{ app: 'web' }, { app: 'web' }],
    [{ app: 'web' }, { app: 'web', tier: 'x' }],
    [{ app: 'web', tier: 'x' }, { app: 'web' }],
    [{ app: 'web' }, { app: 'db' }],
    [{ app: '' }, { app: '' }],
    [{ app: '' }, {}],
    [{}, { app: 'web' }],
    [undefined, { app: 'web' }],
    [{ app: 'web' }, undefined],
  ];
  for (const [selector, labels] of pairs) {
    const { decision } = mutate(review({ object: podObject(labels) }), lookupOf([svc('web', { selector })]), { gateConditionType: GATE, handleUnclassed: true });
    const expected = selectorMatches(selector, labels) ? 'injected' : 'not-selected';
    assert.equal(decision.kind, expected, `selector ${JSON.stringify(selector)}, labels ${JSON.stringify(labels)}`);
  }
  assert.ok(selectorMatches({ app: 'web' }, { app: 'web' }) && !selectorMatches({}, { app: 'web' }), 'the pairs cover both outcomes');
});

test('mutate: the namespace of a pod without one comes from the request', () => {
  const services = [svc('web', {}, 'a'), svc('web', {}, 'b')];
  const seen: string[] = [];
  const lookup: ServiceLookup = {
    servicesIn: (ns) => {
      seen.push(ns);
      return lookupOf(services).servicesIn(ns);
    },
  };
  const result = mutate(review({ namespace: 'b', object: podObject({ app: 'web' }) }), lookup, { gateConditionType: GATE, handleUnclassed: true });
  assert.deepEqual(seen, ['b']);
  assert.equal(result.pod, 'b/web-abc-*');
  assert.deepEqual(result.decision, { kind: 'injected', services: ['web'] });
});

test('mutate: all selecting Services are named, and one gate is added for them all', () => {
  const services = [svc('web-b', {}), svc('web-a', { selector: { app: 'web', tier: 'x' } }), svc('db', { selector: { app: 'db' } })];
  const result = mutate(review({ object: podObject({ app: 'web', tier: 'x' }) }), lookupOf(services), { gateConditionType: GATE, handleUnclassed: true });
  assert.deepEqual(result.decision, { kind: 'injected', services: ['web-a', 'web-b'] });
  assert.deepEqual(decodePatch(result.review.response.patch), [{ op: 'add', path: '/spec/readinessGates', value: [{ conditionType: GATE }] }]);
});

test('mutate: a lookup that cannot answer admits the pod with a warning', () => {
  const lookup: ServiceLookup = {
    servicesIn: () => {
      throw new Error('the Service cache is not synced yet');
    },
  };
  const result = mutate(review({ object: podObject({ app: 'web' }) }), lookup, { gateConditionType: GATE, handleUnclassed: true });
  assert.equal(result.review.response.allowed, true);
  assert.equal(result.review.response.patch, undefined);
  assert.deepEqual(result.review.response.warnings, ['sluice: readiness gate not injected: the Service cache is not synced yet']);
});

test('mutate: a body that is no AdmissionReview v1 request throws AdmissionReviewError', () => {
  const lookup = lookupOf([]);
  for (const body of [null, [], 'x', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1', request: { uid: 'u' } }, { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: '' } }]) {
    assert.throws(() => mutate(body, lookup, { gateConditionType: GATE, handleUnclassed: true }), AdmissionReviewError, JSON.stringify(body));
  }
});
