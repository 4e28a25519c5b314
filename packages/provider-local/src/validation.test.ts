import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Backend, isBackendRejectedError, isTerminalError, type ServicePortView, type ServiceProblem } from '@sluice/core';
import { type AddressRange, parseRange } from '@sluice/dataplane';
import { service } from './test-support/fixtures.ts';
import { rejectBackendAddresses, validateBackends, validateService, validateServicePorts } from './validation.ts';

const tcp = (name: string, port: number): ServicePortView => ({ name, port, protocol: 'TCP', targetPort: 8080 });

function ranges(...cidrs: string[]): AddressRange[] {
  return cidrs.map((cidr) => {
    const parsed = parseRange(cidr);
    if ('problem' in parsed) assert.fail(parsed.problem);
    return parsed.range;
  });
}

function backend(ip: string, overrides: Partial<Backend> = {}): Backend {
  return { servicePort: 'http', ip, port: 8080, podUid: `uid-${ip}`, podName: `web-${ip}`, weight: 1, ...overrides };
}

describe('validateService', () => {
  const cases: { name: string; annotations?: Record<string, string>; ports?: ServicePortView[]; expect: ServiceProblem[] }[] = [
    { name: 'no annotations, one TCP port', expect: [] },
    {
      name: 'core, other providers and foreign annotations are not the local provider’s to judge',
      annotations: {
        'sluice.dev/weight': 'x',
        'sluice.dev/aws-scheme': 'internal',
        'sluice.dev/localhost': 'yes',
        'example.com/local-scheme': 'internal',
      },
      expect: [],
    },
    {
      name: 'every sluice.dev/local-* key is a problem, in key order',
      annotations: { 'sluice.dev/local-scheme': 'internal', 'sluice.dev/local-': '' },
      expect: [
        {
          field: 'metadata.annotations[sluice.dev/local-scheme]',
          message:
            'Service default/web annotation sluice.dev/local-scheme is not a local provider annotation: the local provider reads no sluice.dev/local-* annotations.',
        },
        {
          field: 'metadata.annotations[sluice.dev/local-]',
          message:
            'Service default/web annotation sluice.dev/local- is not a local provider annotation: the local provider reads no sluice.dev/local-* annotations.',
        },
      ],
    },
    { name: 'port 0 takes any free port', ports: [tcp('a', 0), tcp('b', 0)], expect: [] },
    {
      name: 'a port number out of range',
      ports: [tcp('http', 65536)],
      expect: [
        {
          field: 'spec.ports[0].port',
          message: 'Service default/web spec.ports[0].port=65536 is invalid: allowed is a whole number from 1 to 65535 (0 takes any free port).',
        },
      ],
    },
    {
      name: 'two TCP ports on one number',
      ports: [tcp('http', 8080), tcp('alt', 8080)],
      expect: [
        {
          field: 'spec.ports[1].port',
          message:
            'Service default/web spec.ports[1].port=8080 is invalid: port "http" already uses 8080, and the local load balancer opens one listener per TCP port number.',
        },
      ],
    },
    {
      name: 'a UDP port is left to the core (it reports protocols from capabilities)',
      ports: [tcp('dns-tcp', 53), { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }],
      expect: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const svc = service({ annotations: c.annotations ?? {}, ...(c.ports ? { ports: c.ports } : {}) });
      assert.deepEqual(validateService(svc), c.expect);
    });
  }
});

describe('validateServicePorts', () => {
  const cases: { name: string; ports: ServicePortView[]; field?: string; reason?: string }[] = [
    { name: 'TCP ports pass', ports: [tcp('http', 80), tcp('https', 443), tcp('any', 0)] },
    {
      name: 'the first non-TCP port',
      ports: [tcp('http', 80), { name: 'sctp', port: 9, protocol: 'SCTP', targetPort: 9 }],
      field: 'spec.ports[1].protocol',
      reason: 'UnsupportedProtocol',
    },
    { name: 'a fractional port number', ports: [tcp('http', 80.5)], field: 'spec.ports[0].port', reason: 'InvalidPort' },
    { name: 'a duplicate TCP number', ports: [tcp('a', 80), tcp('b', 81), tcp('c', 80)], field: 'spec.ports[2].port', reason: 'DuplicatePort' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = (): void => validateServicePorts(service({ ports: c.ports }));
      if (c.field === undefined) return assert.doesNotThrow(run);
      assert.throws(run, (error: unknown) => isTerminalError(error) && error.field === c.field && error.reason === c.reason);
    });
  }
});

describe('validateBackends', () => {
  const cases: { name: string; backend: Backend; field?: string; message?: string }[] = [
    { name: 'IPv4, IPv6 and any unicast address pass', backend: backend('fd00::1') },
    {
      name: 'an IP that is not an address',
      backend: backend('web-0.pods'),
      field: 'backends[0].ip',
      message: 'Backend of pod web-web-0.pods has IP "web-0.pods", but an IP must be an IPv4 or IPv6 address without a zone.',
    },
    { name: 'an IP with a zone', backend: backend('fe80::1%eth0'), field: 'backends[0].ip' },
    { name: 'a negative weight', backend: backend('10.0.0.1', { weight: -1 }), field: 'backends[0].weight' },
    { name: 'port 0', backend: backend('10.0.0.1', { port: 0 }), field: 'backends[0].port' },
    // The address policy is rejectBackendAddresses'; a well-formed multicast IP is not malformed.
    { name: 'a multicast address is well formed', backend: backend('224.0.0.1') },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = (): void => validateBackends([c.backend]);
      if (c.field === undefined) return assert.doesNotThrow(run);
      assert.throws(
        run,
        (error: unknown) =>
          isTerminalError(error) &&
          !isBackendRejectedError(error) &&
          error.field === c.field &&
          error.reason === 'InvalidBackend' &&
          (c.message === undefined || error.message === c.message),
      );
    });
  }
});

describe('rejectBackendAddresses', () => {
  const pod = ranges('10.244.0.0/16', 'fd00:10:244::/56');
  const cases: { name: string; ranges: AddressRange[] | undefined; backends: Backend[]; rejected: { key: string; message: string }[] }[] = [
    { name: 'without ranges any unicast address passes', ranges: undefined, backends: [backend('127.0.0.1'), backend('169.254.169.254'), backend('::1')], rejected: [] },
    {
      name: 'without ranges, unspecified, multicast and broadcast are refused',
      ranges: undefined,
      backends: [backend('10.0.0.1'), backend('0.0.0.0'), backend('ff02::1', { port: 53 }), backend('255.255.255.255')],
      rejected: [
        {
          key: 'http|0.0.0.0|8080|uid-0.0.0.0',
          message: 'Backend 0.0.0.0:8080 of pod default/web-0.0.0.0 is the unspecified address: the local load balancer proxies only to unicast addresses.',
        },
        {
          key: 'http|ff02::1|53|uid-ff02::1',
          message: 'Backend [ff02::1]:53 of pod default/web-ff02::1 is a multicast address: the local load balancer proxies only to unicast addresses.',
        },
        {
          key: 'http|255.255.255.255|8080|uid-255.255.255.255',
          message:
            'Backend 255.255.255.255:8080 of pod default/web-255.255.255.255 is the broadcast address: the local load balancer proxies only to unicast addresses.',
        },
      ],
    },
    { name: 'inside the ranges passes, IPv4 and IPv6', ranges: pod, backends: [backend('10.244.3.4'), backend('fd00:10:244:1::5'), backend('::ffff:10.244.0.9')], rejected: [] },
    {
      name: 'outside every range is refused, naming the pod, the address and the ranges',
      ranges: pod,
      backends: [backend('10.244.3.4'), backend('169.254.169.254', { servicePort: 'admin', podUid: 'u1', podName: 'sneaky' }), backend('::ffff:127.0.0.1')],
      rejected: [
        {
          key: 'admin|169.254.169.254|8080|u1',
          message:
            'Backend 169.254.169.254:8080 of pod default/sneaky is outside the allowed ranges: the local load balancer proxies only to unicast addresses in 10.244.0.0/16, fd00:10:244::/56 (option backendCidrs).',
        },
        {
          key: 'http|::ffff:127.0.0.1|8080|uid-::ffff:127.0.0.1',
          message:
            'Backend [::ffff:127.0.0.1]:8080 of pod default/web-::ffff:127.0.0.1 is outside the allowed ranges: the local load balancer proxies only to unicast addresses in 10.244.0.0/16, fd00:10:244::/56 (option backendCidrs).',
        },
      ],
    },
    {
      name: 'a range does not make a multicast address acceptable',
      ranges: ranges('0.0.0.0/0'),
      backends: [backend('239.1.1.1')],
      rejected: [
        {
          key: 'http|239.1.1.1|8080|uid-239.1.1.1',
          message:
            'Backend 239.1.1.1:8080 of pod default/web-239.1.1.1 is a multicast address: the local load balancer proxies only to unicast addresses in 0.0.0.0/0 (option backendCidrs).',
        },
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = (): void => rejectBackendAddresses(service(), c.backends, c.ranges);
      if (c.rejected.length === 0) return assert.doesNotThrow(run);
      assert.throws(run, (error: unknown) => {
        assert.ok(isBackendRejectedError(error));
        assert.ok(isTerminalError(error), 'a rejection is terminal for those backends');
        assert.equal(error.reason, 'BackendRejected');
        assert.deepEqual(error.rejected, c.rejected);
        return true;
      });
    });
  }

  test('the summary names the Service and lists the refused pods', () => {
    const many = Array.from({ length: 7 }, (_, i) => backend(`192.0.2.${i + 1}`, { podName: `p${i}` }));
    assert.throws(
      () => rejectBackendAddresses(service(), many, pod),
      (error: unknown) =>
        isBackendRejectedError(error) &&
        error.message ===
          'The local load balancer of Service default/web changed nothing: it refused 7 backends whose addresses it does not proxy to (pod p0 at 192.0.2.1:8080, pod p1 at 192.0.2.2:8080, pod p2 at 192.0.2.3:8080, pod p3 at 192.0.2.4:8080, pod p4 at 192.0.2.5:8080, 2 more).',
    );
  });
});
