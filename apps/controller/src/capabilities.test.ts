/**
 * What each provider does with what a Service may ask, through the core's own decide(): the
 * provider's capabilities and validate decide whether a field is enforced, refused (no LB) or
 * warned about. Printed as a table (field x provider), and held against the expected matrix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, type LoadBalancer, type PodLike, type ServiceLike } from '@sluice/core';
import { pod, service, slice } from '@sluice/core/testing';
import { createAwsProvider } from '@sluice/provider-aws';
import { AzureLoadBalancer } from '@sluice/provider-azure';
import { GcpLoadBalancer } from '@sluice/provider-gcp';
import { createLocalProvider } from '@sluice/provider-local';

const VNET = '/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet';

function providers(): Record<string, LoadBalancer> {
  return {
    local: createLocalProvider(),
    aws: createAwsProvider({ clusterName: 'c1', region: 'us-east-1' }),
    azure: new AzureLoadBalancer({ clusterName: 'c1' }, { AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_RESOURCE_GROUP: 'rg-1', AZURE_LOCATION: 'westeurope', AZURE_VNET_ID: VNET }),
    gcp: new GcpLoadBalancer({ clusterName: 'c1' }, { GOOGLE_CLOUD_PROJECT: 'proj-1', GCP_REGION: 'europe-west1', GCP_NETWORK: 'default' }),
  };
}

interface Case {
  readonly field: string;
  readonly service: ServiceLike;
  readonly pods?: readonly PodLike[];
  /** enforced / refused / warned per provider. */
  readonly expect: Record<'local' | 'aws' | 'azure' | 'gcp', 'enforced' | 'refused' | 'warned'>;
}

const withSpec = (spec: Record<string, unknown>, annotations?: Record<string, string>): ServiceLike => {
  const s = service(undefined, { loadBalancerClass: 'sluice.dev/load-balancer', ...(annotations ? { annotations } : {}) });
  return { ...s, spec: { ...s.spec, ...spec } };
};
const all = (v: 'enforced' | 'refused' | 'warned') => ({ local: v, aws: v, azure: v, gcp: v });

const cases: Case[] = [
  { field: 'spec.loadBalancerSourceRanges', service: withSpec({ loadBalancerSourceRanges: ['203.0.113.0/24'] }), expect: { ...all('refused'), local: 'enforced', aws: 'enforced' } },
  {
    field: 'annotation load-balancer-source-ranges',
    service: withSpec({}, { 'service.beta.kubernetes.io/load-balancer-source-ranges': '203.0.113.0/24' }),
    expect: { ...all('refused'), local: 'enforced', aws: 'enforced' },
  },
  { field: 'spec.loadBalancerIP', service: withSpec({ loadBalancerIP: '198.51.100.7' }), expect: all('warned') },
  { field: 'spec.sessionAffinity: ClientIP', service: withSpec({ sessionAffinity: 'ClientIP' }), expect: all('warned') },
  { field: 'spec.ipFamilies: [IPv6]', service: withSpec({ ipFamilies: ['IPv6'] }), expect: { ...all('refused'), local: 'enforced' } },
  { field: 'spec.ipFamilies: [IPv4, IPv6]', service: withSpec({ ipFamilies: ['IPv4', 'IPv6'] }), expect: { ...all('refused'), local: 'enforced' } },
  { field: 'pod sluice.dev/weight: 5', service: withSpec({}), pods: [pod({ name: 'a', ip: '10.0.0.1', weight: '5' })], expect: { ...all('warned'), local: 'enforced' } },
  {
    field: 'spec.ports[0].protocol: UDP',
    service: { ...withSpec({}), spec: { ...withSpec({}).spec, ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }] } },
    expect: { local: 'refused', aws: 'enforced', azure: 'enforced', gcp: 'refused' },
  },
  { field: 'aws-load-balancer-internal: "true"', service: withSpec({}, { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }), expect: { ...all('warned'), aws: 'refused' } },
  { field: 'azure-load-balancer-internal: "true"', service: withSpec({}, { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' }), expect: { ...all('warned'), azure: 'refused' } },
  { field: 'aws-load-balancer-security-groups: sg-1', service: withSpec({}, { 'service.beta.kubernetes.io/aws-load-balancer-security-groups': 'sg-1' }), expect: { ...all('warned'), aws: 'refused' } },
  { field: 'azure-allowed-ip-ranges: 10.0.0.0/8', service: withSpec({}, { 'service.beta.kubernetes.io/azure-allowed-ip-ranges': '10.0.0.0/8' }), expect: { ...all('warned'), azure: 'refused' } },
  { field: 'azure-allowed-service-tags: AzureFrontDoor.Backend', service: withSpec({}, { 'service.beta.kubernetes.io/azure-allowed-service-tags': 'AzureFrontDoor.Backend' }), expect: { ...all('warned'), azure: 'refused' } },
  { field: 'networking.gke.io/load-balancer-type: Internal', service: withSpec({}, { 'networking.gke.io/load-balancer-type': 'Internal' }), expect: { ...all('warned'), gcp: 'refused' } },
];

function outcome(provider: LoadBalancer, c: Case): 'enforced' | 'refused' | 'warned' {
  const pods = c.pods ?? [pod({ name: 'a', ip: '10.0.0.1' })];
  const plan = decide({
    service: c.service,
    slices: [slice(pods)],
    pods,
    selectedPods: pods,
    provider,
    lb: { kind: 'read', lookup: { exists: false } },
    health: [],
    memory: {},
    now: 0,
    options: { clusterName: 'c1', gateConditionType: 'sluice.dev/load-balancer-ready' },
  });
  if (plan.mode === 'invalid') return 'refused';
  assert.equal(plan.mode, 'sync');
  return plan.events.some((e) => e.type === 'Warning' && e.reason === 'NotHonoured') ? 'warned' : 'enforced';
}

test('field x provider: enforced, refused (no LB) or warned, never silently ignored', async () => {
  const ps = providers();
  const names = ['local', 'aws', 'azure', 'gcp'] as const;
  const rows = cases.map((c) => [c.field, ...names.map((n) => outcome(ps[n]!, c))]);
  const widths = [Math.max(...rows.map((r) => r[0]!.length)), ...names.map(() => 9)];
  const line = (r: readonly string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n${[line(['field', ...names]), ...rows.map(line)].join('\n')}\n`);
  for (const [i, c] of cases.entries()) {
    assert.deepEqual(Object.fromEntries(names.map((n, j) => [n, rows[i]![j + 1]])), c.expect, c.field);
  }
  await ps.local!.close?.();
});

test('ipMode per provider: Proxy for the embedded LB and GCP proxy NLB, VIP for Azure and AWS', () => {
  const ps = providers();
  assert.deepEqual(Object.fromEntries(Object.entries(ps).map(([n, p]) => [n, p.capabilities.ipMode])), { local: 'Proxy', aws: 'VIP', azure: 'VIP', gcp: 'Proxy' });
  void ps.local?.close?.();
});
