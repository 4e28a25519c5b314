import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildDesired } from '../model/build-desired.ts';
import type { PodLike } from '../model/kube-types.ts';
import type { BackendStatus } from '../provider.ts';
import { pod, service, slice } from '../testing/fixtures.ts';
import { applyToSet, type BackendAction, batchActions, plan } from './plan.ts';

const CAPS = { weights: true };

/** The LB as it would be after a previous plan: every listed pod healthy at weight 1 (or 0). */
function onLb(entries: readonly [podName: string, ip: string, weight?: number, port?: number, servicePort?: string][]): BackendStatus[] {
  return entries.map(([name, ip, weight = 1, port = 8080, servicePort = 'http']) => ({
    servicePort,
    ip,
    port,
    podUid: `uid-${name}`,
    weight,
    health: weight === 0 ? 'draining' : 'healthy',
  }));
}

function summary(actions: readonly BackendAction[]): string[] {
  return actions.map((a) =>
    a.kind === 'deregister'
      ? `deregister ${a.key}`
      : `${a.kind} ${a.backend.podName}@${a.backend.servicePort}|${a.backend.ip}|${a.backend.port}=${a.backend.weight}${a.kind === 'register' && a.replacesPodUid ? ` replaces ${a.replacesPodUid}` : ''}`,
  );
}

interface Case {
  readonly name: string;
  readonly pods: readonly PodLike[];
  /** Pods listed in the EndpointSlice; defaults to every pod. */
  readonly sliced?: readonly PodLike[];
  readonly actual: readonly BackendStatus[];
  readonly expect: readonly string[];
  readonly svc?: ReturnType<typeof service>;
  readonly ports?: readonly { name: string; port: number }[];
}

const a = pod({ name: 'a', ip: '10.0.0.1' });
const b = pod({ name: 'b', ip: '10.0.0.2' });
const c = pod({ name: 'c', ip: '10.0.0.3' });

const cases: Case[] = [
  { name: 'no-op: everything already on the LB', pods: [a, b], actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2']]), expect: [] },
  { name: 'first sync registers every ready pod', pods: [a, b], actual: [], expect: ['register a@http|10.0.0.1|8080=1', 'register b@http|10.0.0.2|8080=1'] },
  {
    name: 'scale up: only the new pod is registered',
    pods: [a, b, c],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2']]),
    expect: ['register c@http|10.0.0.3|8080=1'],
  },
  {
    name: 'scale up: a pod whose containers are not ready waits (pending)',
    pods: [a, pod({ name: 'c', ip: '10.0.0.3', state: 'starting' })],
    actual: onLb([['a', '10.0.0.1']]),
    expect: [],
  },
  {
    name: 'scale up: a pod without an IP is not in the slice and waits',
    pods: [a, pod({ name: 'c' })],
    actual: onLb([['a', '10.0.0.1']]),
    expect: [],
  },
  {
    name: 'scale down: the deleted pod is drained at once, not removed',
    pods: [a, pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' })],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2']]),
    expect: ['drain b@http|10.0.0.2|8080=0'],
  },
  {
    name: 'terminating pod already drained: nothing to do (never drains twice)',
    pods: [a, pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' })],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2', 0]]),
    expect: [],
  },
  {
    name: 'terminating pod never registered: it is not put on the LB',
    pods: [a, pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' })],
    actual: onLb([['a', '10.0.0.1']]),
    expect: [],
  },
  {
    name: 'pod gone: the drained backend is removed',
    pods: [a],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2', 0]]),
    expect: ['deregister http|10.0.0.2|8080'],
  },
  {
    name: 'pod object still there but every container exited: removed',
    pods: [a, pod({ name: 'b', ip: '10.0.0.2', state: 'exited' })],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2', 0]]),
    expect: ['deregister http|10.0.0.2|8080'],
  },
  {
    name: 'pod gone while the slice still lists it: removed (the cache is the truth)',
    pods: [a],
    sliced: [a, b],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2', 0]]),
    expect: ['deregister http|10.0.0.2|8080'],
  },
  {
    name: 'IP reuse: a new pod on a dead pod IP replaces the registration',
    pods: [a, pod({ name: 'd', ip: '10.0.0.2' })],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2', 0]]),
    expect: ['register d@http|10.0.0.2|8080=1 replaces uid-b'],
  },
  {
    name: 'weight annotation: a changed weight is a reweight, not a re-register',
    pods: [a, pod({ name: 'b', ip: '10.0.0.2', weight: '3' })],
    actual: onLb([['a', '10.0.0.1'], ['b', '10.0.0.2']]),
    expect: ['reweight b@http|10.0.0.2|8080=3'],
  },
  {
    name: 'multi-port Service: one backend per Service port, each resolved from its slice port',
    svc: service([
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'admin', port: 9000, targetPort: 9001 },
    ]),
    ports: [
      { name: 'http', port: 8080 },
      { name: 'admin', port: 9001 },
    ],
    pods: [a],
    actual: [],
    expect: ['register a@admin|10.0.0.1|9001=1', 'register a@http|10.0.0.1|8080=1'],
  },
  {
    name: 'unnamed single port: slice port "" maps to port-<n>',
    svc: service([{ port: 80, targetPort: 8080 }]),
    ports: [{ name: '', port: 8080 }],
    pods: [a],
    actual: [],
    expect: ['register a@port-80|10.0.0.1|8080=1'],
  },
  {
    name: 'named target port resolved from the pod when the slice has no port list',
    svc: service([{ name: 'http', port: 80, targetPort: 'web' }]),
    ports: [],
    pods: [pod({ name: 'a', ip: '10.0.0.1', containerPorts: [{ name: 'web', containerPort: 3000 }] })],
    actual: [],
    expect: ['register a@http|10.0.0.1|3000=1'],
  },
  {
    name: 'a stale backend nobody wants is removed while the wanted one stays',
    pods: [a],
    actual: onLb([['a', '10.0.0.1'], ['zombie', '10.0.9.9']]),
    expect: ['deregister http|10.0.9.9|8080'],
  },
];

describe('buildDesired + plan', () => {
  for (const tc of cases) {
    test(tc.name, () => {
      const desired = buildDesired(tc.svc ?? service(), [slice(tc.sliced ?? tc.pods, tc.ports)], tc.pods);
      assert.deepEqual(desired.problems, []);
      assert.deepEqual(summary(plan(desired.backends, tc.actual, CAPS)), tc.expect);
    });
  }

  test('rolling update, step by step (maxSurge 1, maxUnavailable 0): no serving backend is removed before its replacement is registered', () => {
    const steps: { pods: PodLike[]; expect: string[] }[] = [
      // v1 pods a, b serve. Surge pod n1 starts: not ready yet.
      { pods: [a, b, pod({ name: 'n1', ip: '10.0.1.1', state: 'starting' })], expect: [] },
      // n1's containers are ready: registered while its gate is still False.
      { pods: [a, b, pod({ name: 'n1', ip: '10.0.1.1' })], expect: ['register n1@http|10.0.1.1|8080=1'] },
      // n1 is healthy and gated Ready: the Deployment deletes a, which is drained at once.
      { pods: [pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), b, pod({ name: 'n1', ip: '10.0.1.1' })], expect: ['drain a@http|10.0.0.1|8080=0'] },
      // The surge pod n2 comes up while a is still draining.
      {
        pods: [pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), b, pod({ name: 'n1', ip: '10.0.1.1' }), pod({ name: 'n2', ip: '10.0.1.2' })],
        expect: ['register n2@http|10.0.1.2|8080=1'],
      },
      // a exits and is gone; b is deleted in the same moment: register nothing, drain b, remove a.
      {
        pods: [pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' }), pod({ name: 'n1', ip: '10.0.1.1' }), pod({ name: 'n2', ip: '10.0.1.2' })],
        expect: ['drain b@http|10.0.0.2|8080=0', 'deregister http|10.0.0.1|8080'],
      },
      // b is gone: the LB holds exactly the new pods.
      { pods: [pod({ name: 'n1', ip: '10.0.1.1' }), pod({ name: 'n2', ip: '10.0.1.2' })], expect: ['deregister http|10.0.0.2|8080'] },
      // Steady state: nothing to do.
      { pods: [pod({ name: 'n1', ip: '10.0.1.1' }), pod({ name: 'n2', ip: '10.0.1.2' })], expect: [] },
    ];
    let lb: BackendStatus[] = onLb([['a', '10.0.0.1'], ['b', '10.0.0.2']]);
    for (const [i, step] of steps.entries()) {
      const desired = buildDesired(service(), [slice(step.pods)], step.pods);
      const actions = plan(desired.backends, lb, CAPS);
      assert.deepEqual(summary(actions), step.expect, `step ${i}`);
      // Serving capacity never drops to zero between steps.
      const next = applyToSet(
        lb.map((s) => ({ servicePort: s.servicePort, ip: s.ip, port: s.port, podUid: s.podUid ?? '', podName: '', weight: s.weight })),
        actions,
      );
      assert.ok(next.some((n) => n.weight > 0), `step ${i} leaves a serving backend`);
      lb = next.map((n) => ({ servicePort: n.servicePort, ip: n.ip, port: n.port, podUid: n.podUid, weight: n.weight, health: n.weight === 0 ? 'draining' : 'healthy' }));
    }
  });

  test('providers without weights see weight 1 for any positive weight', () => {
    const pods = [pod({ name: 'a', ip: '10.0.0.1', weight: '5' })];
    const desired = buildDesired(service(), [slice(pods)], pods);
    assert.deepEqual(summary(plan(desired.backends, onLb([['a', '10.0.0.1']]), { weights: false })), []);
    assert.deepEqual(summary(plan(desired.backends, [], { weights: false })), ['register a@http|10.0.0.1|8080=1']);
  });
});

describe('buildDesired', () => {
  test('gate candidates: ready, not terminating pods, flagged when they carry the gate', () => {
    const pods = [a, pod({ name: 'b', ip: '10.0.0.2', gated: false }), pod({ name: 'c', ip: '10.0.0.3', state: 'terminating' })];
    const desired = buildDesired(service(), [slice(pods)], pods);
    assert.deepEqual(
      desired.pods.map((p) => [p.name, p.gated, p.backendKeys]),
      [
        ['a', true, ['http|10.0.0.1|8080']],
        ['b', false, ['http|10.0.0.2|8080']],
      ],
    );
    assert.equal(desired.backends.find((x) => x.podName === 'c')?.draining, true);
  });

  test('an invalid weight annotation is a problem of that pod only, naming the pod, the value and the range', () => {
    const pods = [pod({ name: 'a', ip: '10.0.0.1', weight: 'heavy' }), pod({ name: 'b', ip: '10.0.0.2' })];
    const desired = buildDesired(service(), [slice(pods)], pods);
    assert.deepEqual(desired.problems, [], 'no Service-level problem');
    assert.equal(
      desired.podProblems.get('uid-a')?.message,
      'Pod default/a annotation sluice.dev/weight="heavy" is invalid: allowed is a whole number from 0 to 1000.',
    );
    assert.deepEqual(
      desired.backends.map((b) => [b.podName, b.invalidWeight === true]),
      [
        ['a', true],
        ['b', false],
      ],
    );
  });

  test('an unknown protocol is a problem naming the port', () => {
    const desired = buildDesired(service([{ name: 'x', port: 1, protocol: 'QUIC' }]), [], []);
    assert.equal(desired.problems[0]?.field, 'spec.ports[0].protocol');
  });

  test('duplicate endpoints across slices give one backend', () => {
    const desired = buildDesired(service(), [slice([a], undefined, 's1'), slice([a], undefined, 's2')], [a]);
    assert.equal(desired.backends.length, 1);
  });
});

describe('batchActions', () => {
  const reg = (n: number): BackendAction => ({ kind: 'register', backend: { servicePort: 'http', ip: `10.0.0.${n}`, port: 80, podUid: `u${n}`, podName: `p${n}`, weight: 1 } });
  const drain = (n: number): BackendAction => ({ kind: 'drain', backend: { servicePort: 'http', ip: `10.0.1.${n}`, port: 80, podUid: `d${n}`, podName: `q${n}`, weight: 0 } });
  const table: { name: string; actions: BackendAction[]; max: number; sizes: number[] }[] = [
    { name: 'empty plan, no batch', actions: [], max: 2, sizes: [] },
    { name: 'fits in one batch', actions: [reg(1), reg(2)], max: 10, sizes: [2] },
    { name: 'split by maxBatch', actions: [reg(1), reg(2), reg(3), reg(4), reg(5)], max: 2, sizes: [2, 2, 1] },
    { name: 'kinds never share a batch', actions: [reg(1), drain(1), drain(2)], max: 10, sizes: [1, 2] },
    { name: 'infinite maxBatch', actions: [reg(1), reg(2), reg(3)], max: Number.POSITIVE_INFINITY, sizes: [3] },
  ];
  for (const tc of table) {
    test(tc.name, () => {
      assert.deepEqual(
        batchActions(tc.actions, tc.max).map((b) => b.length),
        tc.sizes,
      );
    });
  }
});

test('buildDesired reads EndpointSlices by addressType: the Service families only, FQDN never', () => {
  const p = pod({ name: 'a', ip: '10.0.0.1' });
  const v4 = slice([p]);
  const v6 = { ...slice([p], undefined, 'web-v6'), addressType: 'IPv6', endpoints: v4.endpoints?.map((e) => ({ ...e, addresses: ['fd00::1'] })) };
  const fqdn = { ...slice([p], undefined, 'web-fqdn'), addressType: 'FQDN', endpoints: v4.endpoints?.map((e) => ({ ...e, addresses: ['a.example.com'] })) };
  const svc = (families?: string[]) => {
    const s = service();
    return { ...s, spec: { ...s.spec, ...(families ? { ipFamilies: families } : {}) } };
  };
  const keys = (families?: string[]) => buildDesired(svc(families), [v4, v6, fqdn], [p]).backends.map((b) => b.key);
  assert.deepEqual(keys(), ['http|10.0.0.1|8080'], 'unset families mean IPv4');
  assert.deepEqual(keys(['IPv6']), ['http|fd00::1|8080']);
  assert.deepEqual(keys(['IPv6', 'IPv4']), ['http|10.0.0.1|8080', 'http|fd00::1|8080'], 'dual-stack: both');
});
