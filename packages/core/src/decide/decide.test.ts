import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceLike } from '../model/kube-types.ts';
import { pod, service, slice } from '../testing/fixtures.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';
import { decide } from './decide.ts';
import type { DecideInput } from './types.ts';

test('a dual-stack pod does not pass its gate before both families are on the LB', () => {
  const base = pod({ name: 'a', ip: '10.0.0.1' });
  const dual = { ...base, status: { ...base.status, podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] } };
  const v4 = slice([dual]);
  const v6 = { ...slice([dual], undefined, 'web-v6'), addressType: 'IPv6', endpoints: v4.endpoints?.map((e) => ({ ...e, addresses: ['fd00::1'] })) };
  const s = service(undefined, { loadBalancerClass: 'sluice.dev/load-balancer' });
  const svc: ServiceLike = { ...s, metadata: { ...s.metadata, finalizers: ['sluice.dev/load-balancer-cleanup'] }, spec: { ...s.spec, ipFamilies: ['IPv4', 'IPv6'] } };
  const healthy = (ips: string[]) => ips.map((ip) => ({ servicePort: 'http', ip, port: 8080, podUid: 'uid-a', weight: 1, health: 'healthy' as const }));
  const input = (slices: DecideInput['slices'], ips: string[]): DecideInput => ({
    service: svc,
    slices,
    pods: [dual],
    selectedPods: [dual],
    provider: new RecordingProvider(),
    lb: { kind: 'trusted' },
    health: healthy(ips),
    memory: {},
    now: 0,
    options: { clusterName: 'c', gateConditionType: 'sluice.dev/load-balancer-ready' },
  });
  const onlyV4 = decide(input([v4], ['10.0.0.1']));
  assert.deepEqual(onlyV4.gates.map((g) => [g.condition.status, g.condition.message]), [['False', "waiting for the pod's IPv6 address in the Service's EndpointSlices"]]);
  const both = decide(input([v4, v6], ['10.0.0.1', 'fd00::1']));
  assert.deepEqual(both.gates.map((g) => g.condition.status), ['True']);
});

test('a gate this controller already patched True is not patched True again while the pod cache lags', () => {
  const p = pod({ name: 'a', ip: '10.0.0.1' });
  const s = service(undefined, { loadBalancerClass: 'sluice.dev/load-balancer' });
  const svc: ServiceLike = { ...s, metadata: { ...s.metadata, finalizers: ['sluice.dev/load-balancer-cleanup'] } };
  const input = (passed: ReadonlySet<string>): DecideInput => ({
    service: svc,
    slices: [slice([p])],
    pods: [p],
    selectedPods: [p],
    provider: new RecordingProvider(),
    lb: { kind: 'trusted' },
    health: [{ servicePort: 'http', ip: '10.0.0.1', port: 8080, podUid: 'uid-a', weight: 1, health: 'healthy' }],
    memory: { passed },
    now: 0,
    options: { clusterName: 'c', gateConditionType: 'sluice.dev/load-balancer-ready' },
  });
  // The cached pod has no condition yet in both cases; only the memory of the earlier patch differs.
  assert.deepEqual(decide(input(new Set())).gates.map((g) => g.condition.status), ['True']);
  assert.deepEqual(decide(input(new Set(['uid-a']))).gates, []);
});
