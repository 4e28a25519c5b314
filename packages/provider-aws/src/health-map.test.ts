import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBackendStatus } from './health-map.ts';

const target = (State?: string, Reason?: string, Description?: string) => ({ Target: { Id: '10.0.0.7', Port: 8080 }, TargetHealth: { State, Reason, Description } });

test('every ELBv2 target state maps to a Sluice health, with weight 0 only while draining', () => {
  const cases: [string | undefined, string, number][] = [
    ['initial', 'initial', 1],
    ['healthy', 'healthy', 1],
    ['unhealthy', 'unhealthy', 1],
    ['unhealthy.draining', 'draining', 0],
    ['draining', 'draining', 0],
    ['unused', 'unused', 1],
    ['unavailable', 'unhealthy', 1],
    ['some-new-state', 'unhealthy', 1],
    [undefined, 'unhealthy', 1],
  ];
  for (const [state, health, weight] of cases) {
    const s = toBackendStatus('http', target(state));
    assert.equal(s?.health, health, String(state));
    assert.equal(s?.weight, weight, String(state));
    assert.equal(s?.servicePort, 'http');
    assert.equal(s?.ip, '10.0.0.7');
    assert.equal(s?.port, 8080);
  }
});

test('reason carries ELBv2 Reason and Description; unavailable and unknown states say so', () => {
  assert.equal(toBackendStatus('http', target('initial', 'Elb.RegistrationInProgress', 'Target registration is in progress'))?.reason, 'Elb.RegistrationInProgress: Target registration is in progress');
  assert.equal(toBackendStatus('http', target('unhealthy', 'Target.Timeout'))?.reason, 'Target.Timeout');
  assert.equal(toBackendStatus('http', target('unavailable'))?.reason, 'target health is unavailable');
  assert.equal(toBackendStatus('http', target('unavailable', 'Target.HealthCheckDisabled', 'Health checks are disabled'))?.reason, 'Target.HealthCheckDisabled: Health checks are disabled');
  assert.equal(toBackendStatus('http', target('zombie', 'X'))?.reason, 'target state zombie: X');
  assert.equal('reason' in toBackendStatus('http', target('healthy'))!, false);
});

test('an entry without a target address is skipped', () => {
  assert.equal(toBackendStatus('http', { Target: { Id: '10.0.0.7' }, TargetHealth: { State: 'healthy' } }), undefined);
  assert.equal(toBackendStatus('http', {}), undefined);
});
