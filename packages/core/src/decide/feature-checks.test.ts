import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceLike } from '../model/kube-types.ts';
import { toServiceView } from '../model/service-view.ts';
import type { ProviderCapabilities } from '../provider.ts';
import { pod, service } from '../testing/fixtures.ts';
import { featureChecks, isCidr } from './feature-checks.ts';
import { withIpMode } from './service-checks.ts';

const caps = (honours: Partial<ProviderCapabilities['honours']> = {}, weights = false): ProviderCapabilities => ({
  weights,
  drainInPlace: false,
  drainMode: 'deregister',
  maxBatch: 100,
  protocols: ['TCP'],
  tracksPodUid: false,
  honours: { sourceRanges: false, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'], ...honours },
  ipMode: 'VIP',
  healthCheckIntervalMs: 10_000,
});

const withSpec = (spec: Record<string, unknown>, annotations?: Record<string, string>): ServiceLike => {
  const s = service(undefined, annotations ? { annotations } : {});
  return { ...s, spec: { ...s.spec, ...spec } };
};

function check(s: ServiceLike, c: ProviderCapabilities, provider = 'aws', pods = [pod({ name: 'a', ip: '10.0.0.1' })]) {
  const found = featureChecks(toServiceView(s).view, (s.spec?.loadBalancerSourceRanges?.length ?? 0) > 0, c, provider, pods);
  return { problems: found.problems.map((p) => p.field), warnings: found.warnings.map((w) => w.field), messages: [...found.problems, ...found.warnings].map((p) => p.message) };
}

const cases: [string, ServiceLike, ProviderCapabilities, string, { problems: string[]; warnings: string[] }][] = [
  ['source ranges, not enforced: refused', withSpec({ loadBalancerSourceRanges: ['203.0.113.0/24'] }), caps(), 'aws', { problems: ['spec.loadBalancerSourceRanges'], warnings: [] }],
  ['source ranges, enforced: fine', withSpec({ loadBalancerSourceRanges: ['203.0.113.0/24'] }), caps({ sourceRanges: true }), 'local', { problems: [], warnings: [] }],
  ['source-ranges annotation, not enforced: refused', withSpec({}, { 'service.beta.kubernetes.io/load-balancer-source-ranges': '203.0.113.0/24' }), caps(), 'aws', { problems: ['metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]'], warnings: [] }],
  ['a bad CIDR is refused even where enforced', withSpec({ loadBalancerSourceRanges: ['203.0.113.0'] }), caps({ sourceRanges: true }), 'local', { problems: ['spec.loadBalancerSourceRanges'], warnings: [] }],
  ['IPv6 on an IPv4-only provider: refused', withSpec({ ipFamilies: ['IPv6'] }), caps(), 'gcp', { problems: ['spec.ipFamilies'], warnings: [] }],
  ['dual-stack where both are served: fine', withSpec({ ipFamilies: ['IPv4', 'IPv6'] }), caps({ ipFamilies: ['IPv4', 'IPv6'] }), 'local', { problems: [], warnings: [] }],
  ['loadBalancerIP not honoured: warned', withSpec({ loadBalancerIP: '198.51.100.7' }), caps(), 'aws', { problems: [], warnings: ['spec.loadBalancerIP'] }],
  ['sessionAffinity ClientIP not honoured: warned', withSpec({ sessionAffinity: 'ClientIP' }), caps(), 'azure', { problems: [], warnings: ['spec.sessionAffinity'] }],
  ['sessionAffinity None: nothing', withSpec({ sessionAffinity: 'None' }), caps(), 'azure', { problems: [], warnings: [] }],
  [
    "the cloud's own internal annotation on that cloud: refused",
    withSpec({}, { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }),
    caps(),
    'aws',
    { problems: ['metadata.annotations[service.beta.kubernetes.io/aws-load-balancer-internal]'], warnings: [] },
  ],
  [
    "another cloud's internal annotation: warned",
    withSpec({}, { 'networking.gke.io/load-balancer-type': 'Internal' }),
    caps(),
    'aws',
    { problems: [], warnings: ['metadata.annotations[networking.gke.io/load-balancer-type]'] },
  ],
  ['a foreign annotation without equivalent: warned', withSpec({}, { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' }), caps(), 'aws', { problems: [], warnings: ['metadata.annotations[service.beta.kubernetes.io/aws-load-balancer-type]'] }],
  ["GKE's Ingress NEG annotation: not about this LB", withSpec({}, { 'cloud.google.com/neg': '{"ingress":true}' }), caps(), 'gcp', { problems: [], warnings: [] }],
];

for (const [name, svc, c, provider, want] of cases) {
  test(`featureChecks: ${name}`, () => {
    const got = check(svc, c, provider);
    assert.deepEqual({ problems: got.problems, warnings: got.warnings }, want, got.messages.join('\n'));
    for (const m of got.messages) assert.match(m, /^Service default\/web /, 'each sentence names the Service');
  });
}

test('featureChecks: weights above 1 on a provider without weights: one warning naming the pods', () => {
  const pods = [pod({ name: 'a', ip: '10.0.0.1', weight: '5' }), pod({ name: 'b', ip: '10.0.0.2', weight: '1' }), pod({ name: 'c', ip: '10.0.0.3', weight: '0' })];
  const got = check(service(), caps(), 'aws', pods);
  assert.equal(got.warnings.length, 1);
  assert.match(got.messages[0]!, /pod a asks for a sluice\.dev\/weight above 1, but the aws provider has no weights/);
  assert.deepEqual(check(service(), caps({}, true), 'local', pods).warnings, []);
});

test('isCidr', () => {
  for (const good of ['0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/008', '010.000.0.0/8', '203.0.113.7/32', '::/0', '2001:db8::/32', 'fd00::1/128']) assert.ok(isCidr(good), good);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '256.0.0.0/8', '2001:db8::/129', 'fe80::1%eth0/64', 'x/8', '', '10.0.0.0/8/1']) assert.ok(!isCidr(bad), bad);
});

test('withIpMode: on points with an IP only; a provider-set mode is kept', () => {
  assert.deepEqual(withIpMode([{ ip: '192.0.2.1' }, { hostname: 'lb.example.com' }, { ip: '192.0.2.2', ipMode: 'VIP' }], 'Proxy'), [
    { ip: '192.0.2.1', ipMode: 'Proxy' },
    { hostname: 'lb.example.com' },
    { ip: '192.0.2.2', ipMode: 'VIP' },
  ]);
});
