import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceSpecView } from '@sluice/core';
import { parseAwsAnnotations } from './annotations.ts';
import { forwardTarget, listenerFields, listenerMatches } from './listener-spec.ts';
import { attributeChanges, healthCheckChanges, portSpecs } from './target-group-spec.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
const svc = (annotations: Record<string, string> = {}): ServiceSpecView => ({
  namespace: 'shop',
  name: 'web',
  uid: 'u1',
  annotations,
  ports: [
    { name: 'https', port: 443, protocol: 'TCP', targetPort: 'web' },
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
  ],
});
const specsFor = (annotations: Record<string, string> = {}, backends = [{ servicePort: 'https', ip: '10.0.0.1', port: 8443, podUid: 'p', podName: 'p', weight: 1 }]) => {
  const s = svc(annotations);
  return portSpecs('prod', s, parseAwsAnnotations(s).settings, backends);
};

test('one spec per port: protocols, TLS only on TCP ports, group port from the target port or first backend', () => {
  const [https, dns] = specsFor({ 'sluice.dev/aws-tls-certificate-arn': CERT });
  assert.equal(https?.listenerProtocol, 'TLS');
  assert.equal(https?.certificateArn, CERT);
  assert.equal(https?.targetGroupProtocol, 'TCP');
  assert.equal(https?.targetGroupPort, 8443, 'a named target port resolves through the first backend');
  assert.equal(dns?.listenerProtocol, 'UDP');
  assert.equal(dns?.targetGroupProtocol, 'UDP');
  assert.equal(dns?.certificateArn, undefined);
  assert.equal(dns?.targetGroupPort, 5353);
  assert.equal(specsFor({}, [])[0]?.targetGroupPort, 443, 'no backend yet: the Service port');
});

const group = {
  HealthCheckProtocol: 'TCP',
  HealthCheckPort: 'traffic-port',
  HealthCheckIntervalSeconds: 10,
  HealthCheckTimeoutSeconds: 9,
  HealthyThresholdCount: 3,
  UnhealthyThresholdCount: 3,
  Protocol: 'TCP',
  TargetType: 'ip',
} as const;

test('health check: no change when everything matches (a path AWS reports for TCP is ignored)', () => {
  const [spec] = specsFor();
  assert.equal(healthCheckChanges(spec!, { ...group }), undefined);
  assert.equal(healthCheckChanges(spec!, { ...group, HealthCheckPath: '/' }), undefined);
});

test('health check: any difference yields the full wanted settings', () => {
  const [spec] = specsFor({ 'sluice.dev/aws-healthcheck-protocol': 'HTTP', 'sluice.dev/aws-healthcheck-path': '/ready' });
  assert.deepEqual(healthCheckChanges(spec!, { ...group }), {
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckPath: '/ready',
    HealthCheckIntervalSeconds: 10,
    HealthCheckTimeoutSeconds: 6,
    HealthyThresholdCount: 3,
    UnhealthyThresholdCount: 3,
  });
  const [plain] = specsFor();
  // NLB's own defaults (30 s, 10 s, 5, 2) are a difference too: older groups converge to the IP-target defaults.
  for (const change of [{ HealthCheckPort: '8080' }, { HealthCheckIntervalSeconds: 30 }, { HealthCheckTimeoutSeconds: 10 }, { HealthyThresholdCount: 5 }, { UnhealthyThresholdCount: 2 }]) {
    assert.notEqual(healthCheckChanges(plain!, { ...group, ...change }), undefined, JSON.stringify(change));
  }
});

test('attributes: deregistration delay written only when it differs (a new group has 300)', () => {
  const [dflt] = specsFor();
  const [short] = specsFor({ 'sluice.dev/aws-deregistration-delay': '30' });
  assert.deepEqual(attributeChanges(dflt!, undefined), []);
  assert.deepEqual(attributeChanges(dflt!, [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }]), []);
  assert.deepEqual(attributeChanges(short!, undefined), [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]);
  assert.deepEqual(attributeChanges(short!, [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }, { Key: 'stickiness.enabled', Value: 'false' }]), []);
});

test('attributes: each managed attribute is written only when it differs; what AWS leaves out counts as its default', () => {
  const [tcp, udp] = specsFor({
    'sluice.dev/aws-connection-termination': 'true',
    'sluice.dev/aws-proxy-protocol-v2': 'true',
    'sluice.dev/aws-preserve-client-ip': 'true',
  });
  assert.deepEqual(attributeChanges(tcp!, undefined), [
    { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
    { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
    { Key: 'preserve_client_ip.enabled', Value: 'true' },
  ]);
  // A UDP group always preserves the client IP (NLB refuses to change it), so it is never written.
  assert.deepEqual(attributeChanges(udp!, undefined), [
    { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
    { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
  ]);
  const converged = [
    { Key: 'deregistration_delay.timeout_seconds', Value: '300' },
    { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
    { Key: 'proxy_protocol_v2.enabled', Value: 'true' },
    { Key: 'preserve_client_ip.enabled', Value: 'true' },
  ];
  assert.deepEqual(attributeChanges(tcp!, converged), []);

  // Removing the annotations converges back to NLB's defaults.
  const [plainTcp, plainUdp] = specsFor();
  assert.deepEqual(attributeChanges(plainTcp!, converged), [
    { Key: 'deregistration_delay.connection_termination.enabled', Value: 'false' },
    { Key: 'proxy_protocol_v2.enabled', Value: 'false' },
    { Key: 'preserve_client_ip.enabled', Value: 'false' },
  ]);
  assert.deepEqual(attributeChanges(plainTcp!, []), []);
  assert.deepEqual(attributeChanges(plainUdp!, [{ Key: 'preserve_client_ip.enabled', Value: 'true' }]), []);
});

test('listeners: protocol, port, forward target and certificate all count', () => {
  const [tls] = specsFor({ 'sluice.dev/aws-tls-certificate-arn': CERT });
  const fields = listenerFields(tls!, 'tg-1');
  assert.deepEqual(fields, { Protocol: 'TLS', Port: 443, DefaultActions: [{ Type: 'forward', TargetGroupArn: 'tg-1' }], Certificates: [{ CertificateArn: CERT }] });
  const live = { ...fields, ListenerArn: 'l-1' };
  assert.ok(listenerMatches(tls!, 'tg-1', live));
  assert.ok(!listenerMatches(tls!, 'tg-2', live));
  assert.ok(!listenerMatches(tls!, 'tg-1', { ...live, Protocol: 'TCP' }));
  assert.ok(!listenerMatches(tls!, 'tg-1', { ...live, Certificates: [{ CertificateArn: 'other' }] }));
  const [tcp] = specsFor();
  assert.ok(listenerMatches(tcp!, 'tg-1', { Protocol: 'TCP', Port: 443, DefaultActions: [{ Type: 'forward', TargetGroupArn: 'tg-1' }], Certificates: [{ CertificateArn: 'stale' }] }));
});

test('forwardTarget reads a plain forward or a single-group ForwardConfig, nothing else', () => {
  assert.equal(forwardTarget({ DefaultActions: [{ Type: 'forward', TargetGroupArn: 'a' }] }), 'a');
  assert.equal(forwardTarget({ DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'b' }] } }] }), 'b');
  assert.equal(forwardTarget({ DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'b' }, { TargetGroupArn: 'c' }] } }] }), undefined);
  assert.equal(forwardTarget({ DefaultActions: [] }), undefined);
});
