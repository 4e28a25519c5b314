import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadBalancerHealthPerRule } from '@azure/arm-network';
import { toBackendStatuses } from './health-map.ts';

const address = (ip: string, adminState?: string) => ({ name: `ip-${ip}`, ipAddress: ip, ...(adminState ? { adminState } : {}) });

test('health report states map to Sluice health; reasons are passed on', () => {
  const cases: [string, { state: string; reason?: string } | undefined, string | undefined, string, string | undefined][] = [
    ['Up', { state: 'Up', reason: 'Up_Probe_Success' }, undefined, 'healthy', 'Up_Probe_Success'],
    ['Up without reason', { state: 'Up' }, undefined, 'healthy', undefined],
    ['Up by admin state', { state: 'Up', reason: 'Up_Admin' }, 'Up', 'healthy', 'Up_Admin'],
    ['approaching healthy', { state: 'Down', reason: 'Down_Probe_ApproachingHealthyThreshold' }, undefined, 'initial', 'Down_Probe_ApproachingHealthyThreshold'],
    ['probe failing', { state: 'Down', reason: 'Down_Probe_HttpStatusCodeError' }, 'None', 'unhealthy', 'Down_Probe_HttpStatusCodeError'],
    ['Down without reason', { state: 'Down' }, undefined, 'unhealthy', 'Down'],
    ['an unknown state', { state: 'Degraded', reason: 'Why' }, undefined, 'unhealthy', 'health state Degraded: Why'],
    ['not in the report', undefined, undefined, 'initial', 'not yet in the load balancer health report'],
  ];
  for (const [name, entry, adminState, health, reason] of cases) {
    const report: LoadBalancerHealthPerRule = { loadBalancerBackendAddresses: entry ? [{ ipAddress: '10.0.0.1', ...entry }] : [{ ipAddress: '10.0.0.9', state: 'Up' }] };
    const [status] = toBackendStatuses('http', 8080, [address('10.0.0.1', adminState)], report);
    assert.deepEqual(status, { servicePort: 'http', ip: '10.0.0.1', port: 8080, weight: 1, health, ...(reason !== undefined ? { reason } : {}) }, name);
  }
});

test('adminState Down is draining with weight 0 whatever the probe says', () => {
  const report: LoadBalancerHealthPerRule = { loadBalancerBackendAddresses: [{ ipAddress: '10.0.0.1', state: 'Up', reason: 'Up_Probe_Success' }] };
  assert.deepEqual(toBackendStatuses('http', 80, [address('10.0.0.1', 'Down')], report), [
    { servicePort: 'http', ip: '10.0.0.1', port: 80, weight: 0, health: 'draining', reason: 'adminState Down: no new flows, established TCP flows continue' },
  ]);
});

test('no report at all: serving addresses are initial with the reason given; addresses without an IP are skipped', () => {
  const out = toBackendStatuses('dns', 53, [address('10.0.0.1'), address('10.0.0.2', 'Down'), { name: 'nic-based' }], undefined, 'health API unavailable');
  assert.deepEqual(
    out.map((s) => [s.ip, s.weight, s.health, s.reason]),
    [
      ['10.0.0.1', 1, 'initial', 'health API unavailable'],
      ['10.0.0.2', 0, 'draining', 'adminState Down: no new flows, established TCP flows continue'],
    ],
  );
  assert.equal(toBackendStatuses('dns', 53, [address('10.0.0.1')], undefined)[0]?.reason, 'no health report from Azure yet');
});
