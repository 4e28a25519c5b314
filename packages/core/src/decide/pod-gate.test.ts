import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GATE, pod } from '../testing/fixtures.ts';
import { decidePodGate } from './pod-gate.ts';

const base = { gateConditionType: GATE, loadBalancerClass: 'sluice.dev/load-balancer', handleUnclassed: false, now: Date.UTC(2026, 0, 1) };

test('a gated pod no Sluice Service selects: condition False NoLoadBalancer and one Warning; nothing once a Service selects it', () => {
  const p = pod({ name: 'a', ip: '10.0.0.1' });
  const orphan = decidePodGate({ ...base, pod: p, servedBy: [] });
  assert.equal(orphan.patch?.condition.status, 'False');
  assert.equal(orphan.patch?.condition.reason, 'NoLoadBalancer');
  assert.match(orphan.patch?.condition.message ?? '', /No Service of type LoadBalancer with loadBalancerClass sluice\.dev\/load-balancer selects this pod/);
  assert.deepEqual(orphan.events.map((e) => `${e.type} ${e.reason}`), ['Warning NoLoadBalancer']);
  assert.deepEqual(decidePodGate({ ...base, pod: p, servedBy: ['default/web'] }), { events: [] });
});

test('already told: no second patch or event; a passed gate stays True; terminating or ungated pods are left alone', () => {
  const told = pod({ name: 'a', ip: '10.0.0.1' });
  const first = decidePodGate({ ...base, pod: told, servedBy: [] });
  assert.ok(first.patch);
  const conditions = (first.patch.body as { status: { conditions: object[] } }).status.conditions;
  const after = { ...told, status: { ...told.status, conditions: [...(told.status?.conditions ?? []), ...(conditions as never[])] } };
  assert.deepEqual(decidePodGate({ ...base, pod: after, servedBy: [] }), { events: [] });
  assert.deepEqual(decidePodGate({ ...base, pod: pod({ name: 'b', ip: '10.0.0.2', gate: 'True' }), servedBy: [] }), { events: [] });
  assert.deepEqual(decidePodGate({ ...base, pod: pod({ name: 'c', ip: '10.0.0.3', state: 'terminating' }), servedBy: [] }), { events: [] });
  assert.deepEqual(decidePodGate({ ...base, pod: pod({ name: 'd', ip: '10.0.0.4', gated: false }), servedBy: [] }), { events: [] });
});
