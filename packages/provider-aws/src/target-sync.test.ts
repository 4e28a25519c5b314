import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterChanges, planTargets } from './target-sync.ts';

const b = (ip: string, weight = 1, port = 8080) => ({ ip, port, weight });
const r = (ip: string, State = 'healthy', port = 8080) => ({ Target: { Id: ip, Port: port }, TargetHealth: { State } });
const ids = (ts: readonly { Id: string; Port: number }[]) => ts.map((t) => `${t.Id}:${t.Port}`);

test('planTargets is set algebra over ip:port', () => {
  const cases: [string, ReturnType<typeof b>[], ReturnType<typeof r>[], string[], string[]][] = [
    ['nothing differs: no change', [b('10.0.0.1'), b('10.0.0.2')], [r('10.0.0.1'), r('10.0.0.2', 'initial')], [], []],
    ['new backend registers', [b('10.0.0.1'), b('10.0.0.2')], [r('10.0.0.1')], ['10.0.0.2:8080'], []],
    ['gone backend deregisters', [b('10.0.0.1')], [r('10.0.0.1'), r('10.0.0.2', 'unhealthy')], [], ['10.0.0.2:8080']],
    ['weight 0 deregisters (drain)', [b('10.0.0.1'), b('10.0.0.2', 0)], [r('10.0.0.1'), r('10.0.0.2')], [], ['10.0.0.2:8080']],
    ['weight 0 already draining: nothing, never twice', [b('10.0.0.1'), b('10.0.0.2', 0)], [r('10.0.0.1'), r('10.0.0.2', 'draining')], [], []],
    ['gone and already draining: nothing', [b('10.0.0.1')], [r('10.0.0.1'), r('10.0.0.2', 'unhealthy.draining')], [], []],
    ['wanted again while draining: registers again', [b('10.0.0.2')], [r('10.0.0.2', 'draining')], ['10.0.0.2:8080'], []],
    ['weight 0 and not registered: nothing', [b('10.0.0.3', 0)], [], [], []],
    ['same IP, new port: register new, deregister old', [b('10.0.0.1', 1, 9090)], [r('10.0.0.1')], ['10.0.0.1:9090'], ['10.0.0.1:8080']],
    ['unused and unavailable targets count as registered', [b('10.0.0.1'), b('10.0.0.2')], [r('10.0.0.1', 'unused'), r('10.0.0.2', 'unavailable')], [], []],
    ['weights above 1 are one registration', [b('10.0.0.1', 5)], [], ['10.0.0.1:8080'], []],
  ];
  for (const [name, backends, registered, register, deregister] of cases) {
    const plan = planTargets(backends, registered);
    assert.deepEqual(ids(plan.register), register, `${name}: register`);
    assert.deepEqual(ids(plan.deregister), deregister, `${name}: deregister`);
  }
});

test('a duplicate ip:port with one wanted entry stays registered', () => {
  const plan = planTargets([b('10.0.0.1', 0), b('10.0.0.1', 1)], [r('10.0.0.1')]);
  assert.deepEqual(plan, { register: [], deregister: [] });
});

test('afterChanges applies a successful change to what was described: registered targets are initial, deregistered ones draining', () => {
  const described = [
    { Target: { Id: '10.0.0.1', Port: 8080 }, TargetHealth: { State: 'healthy' } },
    { Target: { Id: '10.0.0.2', Port: 8080 }, TargetHealth: { State: 'healthy' } },
    { Target: { Id: '10.0.0.3', Port: 8080 }, TargetHealth: { State: 'draining' } },
  ];
  const after = afterChanges(described, { register: [{ Id: '10.0.0.3', Port: 8080 }, { Id: '10.0.0.4', Port: 8080 }], deregister: [{ Id: '10.0.0.2', Port: 8080 }] });
  assert.deepEqual(
    after.map((d) => `${d.Target?.Id} ${d.TargetHealth?.State}`),
    ['10.0.0.1 healthy', '10.0.0.2 draining', '10.0.0.3 initial', '10.0.0.4 initial'],
  );
  // Planning again against the result changes nothing: the next update makes no call.
  const again = planTargets([b('10.0.0.1'), b('10.0.0.3'), b('10.0.0.4')], after);
  assert.deepEqual(again, { register: [], deregister: [] });
});

test('planTargets deregisters a target registered with AvailabilityZone all with it, and an in-VPC one by Id and Port only', () => {
  const registered = [
    { Target: { Id: '192.168.0.1', Port: 80, AvailabilityZone: 'all' }, TargetHealth: { State: 'healthy' } },
    { Target: { Id: '10.0.0.1', Port: 80, AvailabilityZone: 'us-east-1a' }, TargetHealth: { State: 'healthy' } },
  ];
  assert.deepEqual(planTargets([], registered).deregister, [
    { Id: '10.0.0.1', Port: 80 },
    { Id: '192.168.0.1', Port: 80, AvailabilityZone: 'all' },
  ]);
});
