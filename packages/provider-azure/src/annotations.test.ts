import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServicePortView, ServiceSpecView } from '@sluice/core';
import { parseAzureAnnotations } from './annotations.ts';
import { checkService, validateService } from './validation.ts';

const SUBNET = '/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/lb';
const KEYS =
  'sluice.dev/azure-public-ip-name, sluice.dev/azure-internal, sluice.dev/azure-internal-subnet-id, sluice.dev/azure-probe-interval, sluice.dev/azure-probe-threshold, sluice.dev/azure-idle-timeout, sluice.dev/azure-load-balancer-name';
const SUBNET_ALLOWED =
  'allowed is a subnet resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)';
const PIP_ALLOWED =
  'allowed is the name of a public IP address in the resource group: 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore';

function svc(annotations: Record<string, string>, ports?: readonly ServicePortView[]): ServiceSpecView {
  return {
    namespace: 'shop',
    name: 'web',
    uid: 'u1',
    annotations,
    ports: ports ?? [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
    ],
  };
}

const bad = (key: string, value: string, allowed: string) => ({
  field: `metadata.annotations[${key}]`,
  message: `Service shop/web annotation ${key}="${value}" is invalid: ${allowed}.`,
});

describe('validate: each bad annotation gives exactly one sentence naming key, value and what is allowed', () => {
  const cases: [string, Record<string, string>, { field: string; message: string }[]][] = [
    ['unknown azure key', { 'sluice.dev/azure-internel': 'true' }, [bad('sluice.dev/azure-internel', 'true', `allowed are the azure provider keys ${KEYS}`)]],
    ...['', '-lb', 'lb.', 'lb/x', 'a'.repeat(81)].map((v): [string, Record<string, string>, { field: string; message: string }[]] => [
      `shared load balancer name ${JSON.stringify(v)}`,
      { 'sluice.dev/azure-load-balancer-name': v },
      [bad('sluice.dev/azure-load-balancer-name', v, 'allowed is the name of a Standard load balancer in the resource group: 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore')],
    ]),
    ['internal not a boolean', { 'sluice.dev/azure-internal': 'yes' }, [bad('sluice.dev/azure-internal', 'yes', 'allowed are true, false')]],
    [
      'internal without a subnet',
      { 'sluice.dev/azure-internal': 'true' },
      [bad('sluice.dev/azure-internal', 'true', 'allowed only together with sluice.dev/azure-internal-subnet-id naming the subnet of the private frontend')],
    ],
    ['subnet not a subnet ID', { 'sluice.dev/azure-internal': 'true', 'sluice.dev/azure-internal-subnet-id': 'lb-subnet' }, [bad('sluice.dev/azure-internal-subnet-id', 'lb-subnet', SUBNET_ALLOWED)]],
    [
      'subnet of a VNet, not a subnet',
      { 'sluice.dev/azure-internal': 'true', 'sluice.dev/azure-internal-subnet-id': SUBNET.replace('/subnets/lb', '') },
      [bad('sluice.dev/azure-internal-subnet-id', SUBNET.replace('/subnets/lb', ''), SUBNET_ALLOWED)],
    ],
    ['subnet without internal', { 'sluice.dev/azure-internal-subnet-id': SUBNET }, [bad('sluice.dev/azure-internal-subnet-id', SUBNET, 'allowed only together with sluice.dev/azure-internal="true"')]],
    [
      'subnet with internal false',
      { 'sluice.dev/azure-internal': 'false', 'sluice.dev/azure-internal-subnet-id': SUBNET },
      [bad('sluice.dev/azure-internal-subnet-id', SUBNET, 'allowed only together with sluice.dev/azure-internal="true"')],
    ],
    [
      'public IP name on an internal Service',
      { 'sluice.dev/azure-internal': 'true', 'sluice.dev/azure-internal-subnet-id': SUBNET, 'sluice.dev/azure-public-ip-name': 'ip1' },
      [bad('sluice.dev/azure-public-ip-name', 'ip1', 'allowed only for a public frontend, not together with sluice.dev/azure-internal="true"')],
    ],
    ['public IP name with a slash', { 'sluice.dev/azure-public-ip-name': 'rg/ip1' }, [bad('sluice.dev/azure-public-ip-name', 'rg/ip1', PIP_ALLOWED)]],
    ['public IP name ending in a period', { 'sluice.dev/azure-public-ip-name': 'ip1.' }, [bad('sluice.dev/azure-public-ip-name', 'ip1.', PIP_ALLOWED)]],
    ['public IP name too long', { 'sluice.dev/azure-public-ip-name': 'a'.repeat(81) }, [bad('sluice.dev/azure-public-ip-name', 'a'.repeat(81), PIP_ALLOWED)]],
    ['probe interval below range', { 'sluice.dev/azure-probe-interval': '4' }, [bad('sluice.dev/azure-probe-interval', '4', 'allowed is a whole number of seconds from 5 to 300')]],
    ['probe interval above range', { 'sluice.dev/azure-probe-interval': '301' }, [bad('sluice.dev/azure-probe-interval', '301', 'allowed is a whole number of seconds from 5 to 300')]],
    ['probe interval with a unit', { 'sluice.dev/azure-probe-interval': '10s' }, [bad('sluice.dev/azure-probe-interval', '10s', 'allowed is a whole number of seconds from 5 to 300')]],
    ['probe threshold 0', { 'sluice.dev/azure-probe-threshold': '0' }, [bad('sluice.dev/azure-probe-threshold', '0', 'allowed is a whole number from 1 to 10')]],
    ['probe threshold 11', { 'sluice.dev/azure-probe-threshold': '11' }, [bad('sluice.dev/azure-probe-threshold', '11', 'allowed is a whole number from 1 to 10')]],
    ['idle timeout 3', { 'sluice.dev/azure-idle-timeout': '3' }, [bad('sluice.dev/azure-idle-timeout', '3', 'allowed is a whole number of minutes from 4 to 100')]],
    ['idle timeout 101', { 'sluice.dev/azure-idle-timeout': '101' }, [bad('sluice.dev/azure-idle-timeout', '101', 'allowed is a whole number of minutes from 4 to 100')]],
    ['idle timeout negative', { 'sluice.dev/azure-idle-timeout': '-5' }, [bad('sluice.dev/azure-idle-timeout', '-5', 'allowed is a whole number of minutes from 4 to 100')]],
    [
      'two problems, two sentences',
      { 'sluice.dev/azure-probe-threshold': 'x', 'sluice.dev/azure-idle-timeout': 'y' },
      [bad('sluice.dev/azure-probe-threshold', 'x', 'allowed is a whole number from 1 to 10'), bad('sluice.dev/azure-idle-timeout', 'y', 'allowed is a whole number of minutes from 4 to 100')],
    ],
  ];
  for (const [name, annotations, expected] of cases) {
    test(name, () => {
      assert.deepEqual(validateService(svc(annotations)), expected);
    });
  }
});

describe('valid annotations give no problem and the settings they say', () => {
  const cases: [string, Record<string, string>, unknown][] = [
    ['defaults', {}, { frontend: { kind: 'owned-public-ip' }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 }],
    ['other prefixes are not ours', { 'sluice.dev/aws-scheme': 'nonsense', 'sluice.dev/weight': '3' }, { frontend: { kind: 'owned-public-ip' }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 }],
    ['named public IP', { 'sluice.dev/azure-public-ip-name': 'shop-ip_1' }, { frontend: { kind: 'named-public-ip', name: 'shop-ip_1' }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 }],
    [
      'internal',
      { 'sluice.dev/azure-internal': 'true', 'sluice.dev/azure-internal-subnet-id': SUBNET },
      { frontend: { kind: 'internal', subnetId: SUBNET }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 },
    ],
    ['internal false is public', { 'sluice.dev/azure-internal': 'false' }, { frontend: { kind: 'owned-public-ip' }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 }],
    [
      'edges of the ranges',
      { 'sluice.dev/azure-probe-interval': '300', 'sluice.dev/azure-probe-threshold': '1', 'sluice.dev/azure-idle-timeout': '100' },
      { frontend: { kind: 'owned-public-ip' }, probeIntervalSeconds: 300, probeThreshold: 1, idleTimeoutMinutes: 100 },
    ],
    [
      'surrounding spaces are ignored',
      { 'sluice.dev/azure-probe-interval': ' 5 ', 'sluice.dev/azure-idle-timeout': '4' },
      { frontend: { kind: 'owned-public-ip' }, probeIntervalSeconds: 5, probeThreshold: 2, idleTimeoutMinutes: 4 },
    ],
  ];
  for (const [name, annotations, settings] of cases) {
    test(name, () => {
      const parsed = parseAzureAnnotations(svc(annotations));
      assert.deepEqual(parsed.problems, []);
      assert.deepEqual(parsed.settings, settings);
    });
  }
});

test('SCTP is refused by ensure (checkService) but left to the core by validate', () => {
  const sctp = svc({}, [{ name: 'sig', port: 9, protocol: 'SCTP', targetPort: 9 }]);
  assert.deepEqual(validateService(sctp), []);
  assert.deepEqual(checkService(sctp).problems, [
    { field: 'spec.ports[0].protocol', message: 'Service shop/web spec.ports[0].protocol="SCTP" is not supported by the azure provider: allowed are TCP, UDP.' },
  ]);
});

test('a port name Azure cannot use as a child resource name is a problem', () => {
  const odd = svc({}, [{ name: 'web/1', port: 80, protocol: 'TCP', targetPort: 80 }]);
  const [problem] = validateService(odd);
  assert.equal(problem?.field, 'spec.ports[0].name');
  assert.match(problem?.message ?? '', /^Service shop\/web spec\.ports\[0\]\.name="web\/1" is invalid: allowed is a name of 1 to 80 letters/);
});
