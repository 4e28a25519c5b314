import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { containersReadyCondition, type PodRuntime, readyCondition, statusPatch } from './pod-conditions.ts';

const gated = (gates: string[], conditions: V1PodCondition[] = []): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [{ name: 'app' }], readinessGates: gates.map((conditionType) => ({ conditionType })) },
  status: { conditions },
});
const runtime = (ready: boolean): PodRuntime => ({
  hostIp: '10.1.0.1',
  podIps: ['10.1.1.1'],
  startTime: new Date(0),
  sandboxReady: true,
  containers: [{ name: 'app', image: 'x', ready, restartCount: 0, pid: 1, state: { kind: 'running', startedAt: new Date(0) } }],
});

test('Ready follows ContainersReady and the readiness gates like the kubelet', () => {
  const cases: { name: string; pod: V1Pod; ready: boolean; want: { status: string; reason?: string; message?: string } }[] = [
    { name: 'no gates, ready', pod: gated([]), ready: true, want: { status: 'True' } },
    {
      name: 'containers not ready wins over gates',
      pod: gated(['g']),
      ready: false,
      want: { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
    },
    {
      name: 'missing gate',
      pod: gated(['example.com/gate']),
      ready: true,
      want: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: 'corresponding condition of pod readiness gate "example.com/gate" does not exist.',
      },
    },
    {
      name: 'one gate false, one missing',
      pod: gated(['a', 'b'], [{ type: 'a', status: 'False' }]),
      ready: true,
      want: {
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message:
          'the status of pod readiness gate "a" is not "True", but False, corresponding condition of pod readiness gate "b" does not exist.',
      },
    },
    { name: 'all gates true', pod: gated(['a', 'b'], [{ type: 'a', status: 'True' }, { type: 'b', status: 'True' }]), ready: true, want: { status: 'True' } },
  ];
  for (const c of cases) {
    const got = readyCondition(c.pod, containersReadyCondition(c.pod, runtime(c.ready)));
    assert.deepEqual({ status: got.status, reason: got.reason, message: got.message }, { reason: undefined, message: undefined, ...c.want }, c.name);
  }
});

/** Applies a status patch the way the API server's strategic merge does for these fields. */
function apply(pod: V1Pod, patch: { status: Record<string, unknown> }): V1Pod {
  const { conditions = [], ...rest } = patch.status as { conditions?: V1PodCondition[] };
  const merged = [...(pod.status?.conditions ?? [])];
  for (const c of conditions) {
    const clean = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== null)) as V1PodCondition;
    const at = merged.findIndex((m) => m.type === c.type);
    if (at >= 0) merged[at] = clean;
    else merged.push(clean);
  }
  return { ...pod, status: { ...pod.status, ...rest, conditions: merged } };
}

test('statusPatch writes only owned conditions that changed, and moves transition times only on a flip', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:01:00Z');
  const t2 = new Date('2026-01-01T00:02:00Z');

  const first = statusPatch(gated(['g']), runtime(true), t0);
  assert.ok(first);
  const written = (first.status['conditions'] as V1PodCondition[]).map((c) => [c.type, c.status]);
  assert.deepEqual(written, [
    ['PodScheduled', 'True'],
    ['PodReadyToStartContainers', 'True'],
    ['Initialized', 'True'],
    ['ContainersReady', 'True'],
    ['Ready', 'False'],
  ]);
  let pod = apply(gated(['g']), first);
  assert.equal(statusPatch(pod, runtime(true), t1), undefined, 'nothing changed, nothing written');

  // Another actor sets the gate: only Ready is written, with a new transition time; the gate
  // condition itself is never part of the patch.
  pod = apply(pod, { status: { conditions: [{ type: 'g', status: 'True' }] } });
  const second = statusPatch(pod, runtime(true), t1);
  assert.deepEqual(second?.status, {
    conditions: [{ type: 'Ready', status: 'True', reason: null, message: null, lastProbeTime: null, lastTransitionTime: '2026-01-01T00:01:00Z' }],
  });
  pod = apply(pod, second!);
  assert.equal(pod.status?.conditions?.find((c) => c.type === 'g')?.status, 'True');

  // The container goes unready: ContainersReady and Ready flip, the rest keep their t0 times.
  const third = statusPatch(pod, runtime(false), t2);
  const changed = third?.status['conditions'] as V1PodCondition[];
  assert.deepEqual(
    changed.map((c) => [c.type, c.status, c.lastTransitionTime]),
    [
      ['ContainersReady', 'False', '2026-01-01T00:02:00Z'],
      ['Ready', 'False', '2026-01-01T00:02:00Z'],
    ],
  );
  assert.ok(third?.status['containerStatuses'], 'container readiness is reported too');
});

test('statusPatch reports every pod address in podIPs, primary first, and podIP as the primary', () => {
  const dual = { ...runtime(true), podIps: ['fd12::1:1', '10.1.1.1'] };
  const first = statusPatch(gated([]), dual, new Date(0));
  assert.equal(first?.status['podIP'], 'fd12::1:1');
  assert.deepEqual(first?.status['podIPs'], [{ ip: 'fd12::1:1' }, { ip: '10.1.1.1' }]);
  const pod = apply(gated([]), first!);
  assert.equal(statusPatch(pod, dual, new Date(0)), undefined, 'nothing changed, nothing written');
  const singleWritten = apply(gated([]), { status: { podIP: 'fd12::1:1', podIPs: [{ ip: 'fd12::1:1' }] } });
  assert.deepEqual(statusPatch(singleWritten, dual, new Date(0))?.status['podIPs'], [{ ip: 'fd12::1:1' }, { ip: '10.1.1.1' }], 'a missing family is added');
  assert.equal(statusPatch(gated([]), { ...dual, podIps: [] }, new Date(0))?.status['podIP'], undefined, 'no address yet, none written');
});
