import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServicePortView, ServiceSpecView } from '@sluice/core';
import { parseAwsAnnotations } from './annotations.ts';
import { validateService } from './validation.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-1111-2222-3333-444455556666';
const TCP_LIST = 'http, https';

function svc(annotations: Record<string, string>, ports?: readonly ServicePortView[]): ServiceSpecView {
  return {
    namespace: 'shop',
    name: 'web',
    uid: 'u1',
    annotations,
    ports: ports ?? [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
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
    ['unknown scheme', { 'sluice.dev/aws-scheme': 'public' }, [bad('sluice.dev/aws-scheme', 'public', 'allowed are internal, internet-facing')]],
    [
      'unknown aws key',
      { 'sluice.dev/aws-shceme': 'internal' },
      [
        bad(
          'sluice.dev/aws-shceme',
          'internal',
          'allowed are the aws provider keys sluice.dev/aws-scheme, sluice.dev/aws-subnets, sluice.dev/aws-healthcheck-protocol, sluice.dev/aws-healthcheck-port, sluice.dev/aws-healthcheck-path, sluice.dev/aws-healthcheck-interval, sluice.dev/aws-healthcheck-timeout, sluice.dev/aws-healthcheck-healthy-threshold, sluice.dev/aws-healthcheck-unhealthy-threshold, sluice.dev/aws-deregistration-delay, sluice.dev/aws-connection-termination, sluice.dev/aws-proxy-protocol-v2, sluice.dev/aws-preserve-client-ip, sluice.dev/aws-cross-zone, sluice.dev/aws-tls-certificate-arn, sluice.dev/aws-tls-ports',
        ),
      ],
    ],
    ['empty subnet entry', { 'sluice.dev/aws-subnets': 'subnet-1,,subnet-2' }, [bad('sluice.dev/aws-subnets', 'subnet-1,,subnet-2', 'allowed is a comma-separated list of subnet IDs (subnet-...) or subnet Name tags, with no empty entry')]],
    ['health check protocol', { 'sluice.dev/aws-healthcheck-protocol': 'UDP' }, [bad('sluice.dev/aws-healthcheck-protocol', 'UDP', 'allowed are TCP, HTTP, HTTPS')]],
    ['health check port 0', { 'sluice.dev/aws-healthcheck-port': '0' }, [bad('sluice.dev/aws-healthcheck-port', '0', 'allowed is traffic-port or a whole number from 1 to 65535')]],
    ['health check port name', { 'sluice.dev/aws-healthcheck-port': 'http' }, [bad('sluice.dev/aws-healthcheck-port', 'http', 'allowed is traffic-port or a whole number from 1 to 65535')]],
    [
      'path with TCP',
      { 'sluice.dev/aws-healthcheck-path': '/healthz' },
      [bad('sluice.dev/aws-healthcheck-path', '/healthz', 'allowed only together with sluice.dev/aws-healthcheck-protocol HTTP or HTTPS (a TCP health check has no path)')],
    ],
    [
      'path without slash',
      { 'sluice.dev/aws-healthcheck-protocol': 'HTTP', 'sluice.dev/aws-healthcheck-path': 'healthz' },
      [bad('sluice.dev/aws-healthcheck-path', 'healthz', 'allowed is a path starting with / of at most 1024 characters, without spaces')],
    ],
    ['interval below range', { 'sluice.dev/aws-healthcheck-interval': '1' }, [bad('sluice.dev/aws-healthcheck-interval', '1', 'allowed is a whole number of seconds from 5 to 300')]],
    ['interval above range', { 'sluice.dev/aws-healthcheck-interval': '301' }, [bad('sluice.dev/aws-healthcheck-interval', '301', 'allowed is a whole number of seconds from 5 to 300')]],
    ['interval not a number', { 'sluice.dev/aws-healthcheck-interval': '10s' }, [bad('sluice.dev/aws-healthcheck-interval', '10s', 'allowed is a whole number of seconds from 5 to 300')]],
    ['timeout below range', { 'sluice.dev/aws-healthcheck-timeout': '1' }, [bad('sluice.dev/aws-healthcheck-timeout', '1', 'allowed is a whole number of seconds from 2 to 120')]],
    [
      'timeout not below interval',
      { 'sluice.dev/aws-healthcheck-interval': '10', 'sluice.dev/aws-healthcheck-timeout': '10' },
      [bad('sluice.dev/aws-healthcheck-timeout', '10', 'allowed is a whole number of seconds from 2 to 120 and less than the health check interval (10)')],
    ],
    ['healthy threshold', { 'sluice.dev/aws-healthcheck-healthy-threshold': '11' }, [bad('sluice.dev/aws-healthcheck-healthy-threshold', '11', 'allowed is a whole number from 2 to 10')]],
    ['unhealthy threshold', { 'sluice.dev/aws-healthcheck-unhealthy-threshold': '1' }, [bad('sluice.dev/aws-healthcheck-unhealthy-threshold', '1', 'allowed is a whole number from 2 to 10')]],
    ['deregistration delay', { 'sluice.dev/aws-deregistration-delay': '3601' }, [bad('sluice.dev/aws-deregistration-delay', '3601', 'allowed is a whole number of seconds from 0 to 3600')]],
    ['deregistration delay negative', { 'sluice.dev/aws-deregistration-delay': '-1' }, [bad('sluice.dev/aws-deregistration-delay', '-1', 'allowed is a whole number of seconds from 0 to 3600')]],
    ['connection termination', { 'sluice.dev/aws-connection-termination': 'yes' }, [bad('sluice.dev/aws-connection-termination', 'yes', 'allowed are true, false')]],
    ['proxy protocol v2', { 'sluice.dev/aws-proxy-protocol-v2': '*' }, [bad('sluice.dev/aws-proxy-protocol-v2', '*', 'allowed are true, false')]],
    ['preserve client ip', { 'sluice.dev/aws-preserve-client-ip': 'True' }, [bad('sluice.dev/aws-preserve-client-ip', 'True', 'allowed are true, false')]],
    ['cross zone', { 'sluice.dev/aws-cross-zone': '1' }, [bad('sluice.dev/aws-cross-zone', '1', 'allowed are true, false')]],
    [
      'preserve client ip on a UDP-only Service',
      { 'sluice.dev/aws-preserve-client-ip': 'false' },
      [bad('sluice.dev/aws-preserve-client-ip', 'false', 'allowed only on a Service with at least one TCP port, since UDP target groups always preserve the client IP')],
    ],
    [
      'certificate not an ARN',
      { 'sluice.dev/aws-tls-certificate-arn': 'my-cert' },
      [
        bad(
          'sluice.dev/aws-tls-certificate-arn',
          'my-cert',
          'allowed is an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) or an IAM server certificate ARN (arn:aws:iam::<account>:server-certificate/<name>)',
        ),
      ],
    ],
    [
      'tls ports without certificate',
      { 'sluice.dev/aws-tls-ports': 'https' },
      [bad('sluice.dev/aws-tls-ports', 'https', 'allowed only together with sluice.dev/aws-tls-certificate-arn, which names the certificate the TLS listeners present')],
    ],
    [
      'UDP port with TLS',
      { 'sluice.dev/aws-tls-certificate-arn': CERT, 'sluice.dev/aws-tls-ports': 'https,dns' },
      [bad('sluice.dev/aws-tls-ports', 'https,dns', `allowed are names or numbers of the Service's TCP ports (${TCP_LIST}); dns is UDP, and NLB TLS listeners carry TCP only`)],
    ],
    [
      'TLS port that does not exist',
      { 'sluice.dev/aws-tls-certificate-arn': CERT, 'sluice.dev/aws-tls-ports': '8443' },
      [bad('sluice.dev/aws-tls-ports', '8443', `allowed are names or numbers of the Service's TCP ports (${TCP_LIST}); 8443 is not a port of the Service`)],
    ],
    [
      'certificate on a UDP-only Service',
      { 'sluice.dev/aws-tls-certificate-arn': CERT },
      [bad('sluice.dev/aws-tls-certificate-arn', CERT, 'allowed only on a Service with at least one TCP port, since TLS listeners carry TCP')],
    ],
  ];
  for (const [name, annotations, expected] of cases) {
    test(name, () => {
      const ports = name.endsWith('on a UDP-only Service') ? [{ name: 'dns', port: 53, protocol: 'UDP' as const, targetPort: 53 }] : undefined;
      assert.deepEqual(validateService(svc(annotations, ports)), expected);
    });
  }

  test('two bad annotations give two problems', () => {
    const problems = validateService(svc({ 'sluice.dev/aws-scheme': 'x', 'sluice.dev/aws-healthcheck-interval': '0' }));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['metadata.annotations[sluice.dev/aws-scheme]', 'metadata.annotations[sluice.dev/aws-healthcheck-interval]'],
    );
  });

  test('a TCP and a UDP port on one number is a problem on the second port', () => {
    const problems = validateService(
      svc({}, [
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      ]),
    );
    assert.deepEqual(problems, [
      {
        field: 'spec.ports[1].port',
        message:
          'Service shop/web spec.ports[1].port=53 is invalid: allowed are port numbers distinct from every other port of the Service (port dns-tcp already uses 53), since an NLB has one listener per port.',
      },
    ]);
  });

  test('other sluice.dev keys and foreign annotations are not the aws provider\'s business', () => {
    assert.deepEqual(validateService(svc({ 'sluice.dev/readiness-gate-timeout': 'x', 'example.com/aws-scheme': 'x', 'sluice.dev/azure-foo': 'x' })), []);
  });
});

describe('parseAwsAnnotations: defaults and accepted values', () => {
  test('no annotations: internal, tag-discovered subnets, IP-target health check defaults, 300 s delay, NLB attribute defaults, no TLS', () => {
    const { settings, problems } = parseAwsAnnotations(svc({}));
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, {
      scheme: 'internal',
      subnets: undefined,
      // 10 s x 3 (aws-load-balancer-controller's IP-target defaults); TCP's 10 s timeout lowered below the interval.
      healthCheck: { protocol: 'TCP', port: 'traffic-port', path: undefined, intervalSeconds: 10, timeoutSeconds: 9, healthyThreshold: 3, unhealthyThreshold: 3 },
      deregistrationDelaySeconds: 300,
      connectionTermination: false,
      proxyProtocolV2: false,
      preserveClientIp: undefined,
      crossZone: false,
      tls: undefined,
    });
  });

  test('HTTP health check defaults to path / and a 6 s timeout; HTTPS keeps 10 s under a longer interval', () => {
    assert.deepEqual(parseAwsAnnotations(svc({ 'sluice.dev/aws-healthcheck-protocol': 'HTTP' })).settings.healthCheck, {
      protocol: 'HTTP',
      port: 'traffic-port',
      path: '/',
      intervalSeconds: 10,
      timeoutSeconds: 6,
      healthyThreshold: 3,
      unhealthyThreshold: 3,
    });
    assert.equal(parseAwsAnnotations(svc({ 'sluice.dev/aws-healthcheck-protocol': 'HTTPS', 'sluice.dev/aws-healthcheck-interval': '30' })).settings.healthCheck.timeoutSeconds, 10);
  });

  test('a short interval lowers the default timeout below it instead of failing', () => {
    const { settings, problems } = parseAwsAnnotations(svc({ 'sluice.dev/aws-healthcheck-interval': '5' }));
    assert.deepEqual(problems, []);
    assert.equal(settings.healthCheck.timeoutSeconds, 4);
  });

  test('every value at its limits is accepted, with whitespace trimmed', () => {
    const { settings, problems } = parseAwsAnnotations(
      svc({
        'sluice.dev/aws-scheme': ' internet-facing ',
        'sluice.dev/aws-subnets': 'subnet-0abc, private-a ,subnet-0abc',
        'sluice.dev/aws-healthcheck-protocol': 'HTTPS',
        'sluice.dev/aws-healthcheck-port': '65535',
        'sluice.dev/aws-healthcheck-path': '/ready?full=1',
        'sluice.dev/aws-healthcheck-interval': '300',
        'sluice.dev/aws-healthcheck-timeout': '120',
        'sluice.dev/aws-healthcheck-healthy-threshold': '2',
        'sluice.dev/aws-healthcheck-unhealthy-threshold': '10',
        'sluice.dev/aws-deregistration-delay': '0',
        'sluice.dev/aws-connection-termination': 'true',
        'sluice.dev/aws-proxy-protocol-v2': ' true',
        'sluice.dev/aws-preserve-client-ip': 'false',
        'sluice.dev/aws-cross-zone': 'true ',
        'sluice.dev/aws-tls-certificate-arn': 'arn:aws:iam::123456789012:server-certificate/prod/web',
        'sluice.dev/aws-tls-ports': '443',
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(settings.scheme, 'internet-facing');
    assert.deepEqual(settings.subnets, ['subnet-0abc', 'private-a']);
    assert.deepEqual(settings.healthCheck, {
      protocol: 'HTTPS',
      port: '65535',
      path: '/ready?full=1',
      intervalSeconds: 300,
      timeoutSeconds: 120,
      healthyThreshold: 2,
      unhealthyThreshold: 10,
    });
    assert.equal(settings.deregistrationDelaySeconds, 0);
    assert.deepEqual([settings.connectionTermination, settings.proxyProtocolV2, settings.preserveClientIp, settings.crossZone], [true, true, false, true]);
    assert.deepEqual(settings.tls, { certificateArn: 'arn:aws:iam::123456789012:server-certificate/prod/web', portNames: new Set(['https']) });
  });

  test('a certificate without tls-ports puts TLS on every TCP port, never on UDP', () => {
    const { settings } = parseAwsAnnotations(svc({ 'sluice.dev/aws-tls-certificate-arn': CERT }));
    assert.deepEqual(settings.tls, { certificateArn: CERT, portNames: new Set(['http', 'https']) });
  });

  test('ARNs of other partitions are accepted', () => {
    const arn = 'arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc-123';
    assert.deepEqual(parseAwsAnnotations(svc({ 'sluice.dev/aws-tls-certificate-arn': arn })).problems, []);
  });
});
