/**
 * The aws provider's per-Service settings against the fake AWS: annotations for health
 * checks, drain, proxy protocol, client IP, cross-zone and TLS converge with only the writes
 * that differ; what an NLB cannot change (its scheme) is refused in one sentence; annotated
 * subnets are used as written or looked up by Name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { CLUSTER, harnessPerTest, service, signal, WRITE } from './test-support/harness.ts';

const h = harnessPerTest();

const web = service();

test('changed annotations modify only the target group settings that differ', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  h.takeOperations();
  const tuned = service([{}], { 'sluice.dev/aws-healthcheck-protocol': 'HTTP', 'sluice.dev/aws-healthcheck-path': '/ready', 'sluice.dev/aws-deregistration-delay': '20' });
  await h.provider.ensureLoadBalancer(CLUSTER, tuned, [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    ['ModifyTargetGroup', 'ModifyTargetGroupAttributes'],
  );
  const [tg] = h.fake.targetGroups;
  assert.equal(tg?.health['HealthCheckPath'], '/ready');
  assert.equal(tg?.health['HealthCheckTimeoutSeconds'], '6');
  assert.equal(tg?.attributes['deregistration_delay.timeout_seconds'], '20');
  await h.provider.ensureLoadBalancer(CLUSTER, tuned, [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    [],
  );
});

test('drain, proxy protocol, client IP and cross-zone annotations are set at create, converge on update and return to the defaults when removed', async () => {
  const ports = [{}, { name: 'dns', port: 53, protocol: 'UDP' as const, targetPort: 5353 }];
  const tuned = service(ports, {
    'sluice.dev/aws-deregistration-delay': '45',
    'sluice.dev/aws-connection-termination': 'true',
    'sluice.dev/aws-proxy-protocol-v2': 'true',
    'sluice.dev/aws-preserve-client-ip': 'true',
    'sluice.dev/aws-cross-zone': 'true',
  });
  await h.provider.ensureLoadBalancer(CLUSTER, tuned, [], signal);
  // A new NLB and new groups are not described: they have AWS's defaults, so one write each.
  assert.deepEqual(
    h.takeOperations().filter((o) => /Attributes$/.test(o)),
    ['ModifyLoadBalancerAttributes', 'ModifyTargetGroupAttributes', 'ModifyTargetGroupAttributes'],
  );
  assert.equal(h.fake.loadBalancers[0]?.attributes['load_balancing.cross_zone.enabled'], 'true');
  const [tcp, udp] = h.fake.targetGroups;
  const managed = (g: typeof tcp) => [
    g?.attributes['deregistration_delay.timeout_seconds'],
    g?.attributes['deregistration_delay.connection_termination.enabled'],
    g?.attributes['proxy_protocol_v2.enabled'],
    g?.attributes['preserve_client_ip.enabled'],
  ];
  assert.deepEqual(managed(tcp), ['45', 'true', 'true', 'true']);
  // UDP groups always preserve the client IP; Sluice never writes it there (AWS would refuse false).
  assert.deepEqual(managed(udp), ['45', 'true', 'true', 'true']);
  const udpWrite = h.server.calls.filter((c) => c.action === 'ModifyTargetGroupAttributes' && c.params.get('TargetGroupArn') === udp?.arn);
  assert.ok(udpWrite.every((c) => ![...c.params.values()].includes('preserve_client_ip.enabled')));

  await h.provider.ensureLoadBalancer(CLUSTER, tuned, [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    [],
    'converged: nothing written',
  );

  await h.provider.ensureLoadBalancer(CLUSTER, service(ports), [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    ['ModifyLoadBalancerAttributes', 'ModifyTargetGroupAttributes', 'ModifyTargetGroupAttributes'],
  );
  assert.equal(h.fake.loadBalancers[0]?.attributes['load_balancing.cross_zone.enabled'], 'false');
  assert.deepEqual(managed(tcp), ['300', 'false', 'false', 'false']);
  assert.deepEqual(managed(udp), ['300', 'false', 'false', 'true']);
});

test('a TLS port gets a TLS listener with the certificate over a TCP target group; a new port with a short delay sets it at create', async () => {
  const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e';
  const tls = service([{ name: 'https', port: 443, targetPort: 8443 }, {}], { 'sluice.dev/aws-tls-certificate-arn': cert, 'sluice.dev/aws-tls-ports': 'https', 'sluice.dev/aws-deregistration-delay': '0' });
  await h.provider.ensureLoadBalancer(CLUSTER, tls, [], signal);
  const byPort = new Map(h.fake.listeners.map((l) => [l.port, l]));
  assert.equal(byPort.get(443)?.protocol, 'TLS');
  assert.equal(byPort.get(443)?.certificateArn, cert);
  assert.equal(byPort.get(80)?.protocol, 'TCP');
  assert.deepEqual(
    h.fake.targetGroups.map((g) => [g.protocol, g.attributes['deregistration_delay.timeout_seconds']]),
    [
      ['TCP', '0'],
      ['TCP', '0'],
    ],
  );
  // Switching TLS off converges the listener in place.
  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, service([{ name: 'https', port: 443, targetPort: 8443 }, {}], { 'sluice.dev/aws-deregistration-delay': '0' }), [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    ['ModifyListener'],
  );
  assert.equal(h.fake.listeners.find((l) => l.port === 443)?.protocol, 'TCP');
});

test('a scheme change is refused with one sentence, since an NLB cannot change scheme', async () => {
  await h.provider.ensureLoadBalancer(CLUSTER, web, [], signal);
  await assert.rejects(
    h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/aws-scheme': 'internet-facing' }), [], signal),
    (e: unknown) => isTerminalError(e) && /asks for scheme internet-facing, but its load balancer .* is internal and an NLB cannot change scheme/.test((e as Error).message),
  );
});

test('annotated subnets: IDs go through as written, Name tags are looked up', async () => {
  h.fake.subnets.push({ id: 'subnet-0c1', zone: 'us-east-1c', vpcId: 'vpc-1', tags: { Name: 'private-c' } });
  await h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/aws-subnets': 'subnet-0a1,private-c' }), [], signal);
  assert.deepEqual(h.fake.loadBalancers[0]?.subnets, ['subnet-0a1', 'subnet-0c1']);
  h.takeOperations();
  await h.provider.ensureLoadBalancer(CLUSTER, service([{}], { 'sluice.dev/aws-subnets': 'subnet-0a1,subnet-0b1' }), [], signal);
  assert.deepEqual(
    h.takeOperations().filter((o) => WRITE.test(o)),
    ['SetSubnets'],
  );
  assert.deepEqual(h.fake.loadBalancers[0]?.subnets, ['subnet-0a1', 'subnet-0b1']);
});
