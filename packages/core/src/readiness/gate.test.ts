import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredPod } from '../model/build-desired.ts';
import type { BackendStatus } from '../provider.ts';
import { GATE, pod } from '../testing/fixtures.ts';
import { combineGates, conditionPatchBody, conditionToPatch, gateForPod, healthByKey } from './gate.ts';

const p: DesiredPod = { uid: 'uid-a', namespace: 'default', name: 'a', gated: true, backendKeys: ['admin|10.0.0.1|9001', 'http|10.0.0.1|8080'] };
const st = (servicePort: string, port: number, health: BackendStatus['health'], podUid = 'uid-a'): BackendStatus => ({ servicePort, ip: '10.0.0.1', port, podUid, weight: 1, health });

describe('gateForPod', () => {
  const table: { name: string; lb: BackendStatus[]; status: string; reason: string; message?: string }[] = [
    { name: 'not on the LB', lb: [], status: 'False', reason: 'LBNotRegistered' },
    { name: 'one port healthy, one initial', lb: [st('http', 8080, 'healthy'), st('admin', 9001, 'initial')], status: 'False', reason: 'LBRegistering', message: 'waiting for the load balancer: admin 10.0.0.1 9001 is initial' },
    { name: 'all healthy', lb: [st('http', 8080, 'healthy'), st('admin', 9001, 'healthy')], status: 'True', reason: 'LBHealthy', message: 'LB synced successfully' },
    { name: 'healthy but registered for a dead pod on the same IP', lb: [st('http', 8080, 'healthy', 'uid-old'), st('admin', 9001, 'healthy', 'uid-old')], status: 'False', reason: 'LBNotRegistered' },
    { name: 'unhealthy', lb: [st('http', 8080, 'unhealthy'), st('admin', 9001, 'healthy')], status: 'False', reason: 'LBRegistering' },
  ];
  for (const tc of table) {
    test(tc.name, () => {
      const g = gateForPod(p, healthByKey(tc.lb));
      assert.equal(g.status, tc.status);
      assert.equal(g.reason, tc.reason);
      if (tc.message) assert.equal(g.message, tc.message);
    });
  }
  test('a pod with no backend never passes', () => {
    assert.equal(gateForPod({ ...p, backendKeys: [] }, new Map()).status, 'False');
  });
});

describe('combineGates', () => {
  test('True only when every Service agrees', () => {
    const t = { status: 'True', reason: 'LBHealthy', message: 'LB synced successfully' } as const;
    const f = { status: 'False', reason: 'LBRegistering', message: 'x' } as const;
    assert.equal(combineGates([t, t]).status, 'True');
    assert.equal(combineGates([t, f]).status, 'False');
    assert.equal(combineGates([]).status, 'True');
  });
});

describe('conditionToPatch', () => {
  const healthy = { status: 'True', reason: 'LBHealthy', message: 'LB synced successfully' } as const;
  const waiting = { status: 'False', reason: 'LBRegistering', message: 'waiting' } as const;
  test('missing condition: patch', () => assert.deepEqual(conditionToPatch(pod({ name: 'a' }), GATE, waiting), waiting));
  test('same status, reason, message: no patch', () => {
    const x = pod({ name: 'a', gate: 'False' });
    assert.equal(conditionToPatch(x, GATE, { status: 'False', reason: 'LBRegistering', message: '' }), undefined);
  });
  test('message changed: patch', () => assert.deepEqual(conditionToPatch(pod({ name: 'a', gate: 'False' }), GATE, waiting), waiting));
  test('True is sticky', () => assert.equal(conditionToPatch(pod({ name: 'a', gate: 'True' }), GATE, waiting), undefined));
  test('False -> True: patch', () => assert.deepEqual(conditionToPatch(pod({ name: 'a', gate: 'False' }), GATE, healthy), healthy));
});

describe('conditionPatchBody', () => {
  const now = new Date('2026-11-25T10:00:00Z');
  test('lastTransitionTime moves when the status flips', () => {
    const body = conditionPatchBody(pod({ name: 'a', gate: 'False' }), GATE, { status: 'True', reason: 'LBHealthy', message: 'm' }, now) as {
      status: { conditions: { lastTransitionTime: string; type: string }[] };
    };
    assert.equal(body.status.conditions[0]?.lastTransitionTime, now.toISOString());
    assert.equal(body.status.conditions[0]?.type, GATE);
    assert.equal(body.status.conditions.length, 1, 'only the gate condition: strategic merge keeps the others');
  });
  test('lastTransitionTime stays when only the message changes', () => {
    const x = pod({ name: 'a', gate: 'False' });
    const withTime = { ...x, status: { ...x.status, conditions: x.status!.conditions!.map((c) => ({ ...c, lastTransitionTime: '2026-11-25T09:00:00Z' })) } };
    const body = conditionPatchBody(withTime, GATE, { status: 'False', reason: 'LBRegistering', message: 'new' }, now) as {
      status: { conditions: { lastTransitionTime: string }[] };
    };
    assert.equal(body.status.conditions[0]?.lastTransitionTime, '2026-11-25T09:00:00.000Z');
  });
});
