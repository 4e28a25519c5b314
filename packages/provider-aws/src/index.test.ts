import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import * as aws from './index.ts';
import { FakeAws } from './test-support/fake-aws.ts';
import { startQueryServer } from './test-support/query-server.ts';

test('createAwsProvider returns the aws provider with its capabilities and annotation constants', () => {
  const provider = aws.createAwsProvider({ clusterName: 'c1', region: 'us-east-1' });
  assert.ok(provider instanceof aws.AwsLoadBalancer);
  assert.equal(provider.providerName, 'aws');
  assert.deepEqual(provider.capabilities, { weights: false, drainInPlace: false, drainMode: 'deregister', maxBatch: 200, protocols: ['TCP', 'UDP'], tracksPodUid: false, honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] }, ipMode: 'VIP', healthCheckIntervalMs: 10_000 });
  assert.equal(aws.SCHEME_ANNOTATION, 'sluice.dev/aws-scheme');
  assert.equal(aws.TLS_PORTS_ANNOTATION, 'sluice.dev/aws-tls-ports');
  assert.equal(aws.AWS_ANNOTATIONS.length, 16);
  assert.equal(provider.getLoadBalancerName('c1', { namespace: 'shop', name: 'web', uid: 'u', ports: [], annotations: {} }), aws.loadBalancerName('c1', { namespace: 'shop', name: 'web', uid: 'u' }));
});

test('defaults are filled in one place', () => {
  const { options } = aws.createAwsProvider({ clusterName: 'c1' });
  assert.equal(options.maxAttempts, 5);
  assert.deepEqual(options.rateLimits, { describe: 10, registration: 4, write: 3, elbAccount: 10 });
  assert.equal(options.region, undefined);
  assert.equal(options.endpoint, undefined);
  assert.deepEqual(aws.createAwsProvider({ clusterName: 'c1', rateLimits: { write: 1 } }).options.rateLimits, { describe: 10, registration: 4, write: 1, elbAccount: 10 });
});

test('bad options are one terminal sentence naming the option', () => {
  const cases: [Parameters<typeof aws.createAwsProvider>[0], RegExp][] = [
    [{ clusterName: '' }, /^AWS provider option clusterName is "", but it must be a non-empty string/],
    [{ clusterName: 'c1', maxAttempts: 0 }, /^AWS provider option maxAttempts is 0, but it must be an integer of at least 1\.$/],
    [{ clusterName: 'c1', rateLimits: { describe: -1 } }, /^AWS provider option rateLimits\.describe is -1, but it must be a number of calls per second above 0/],
    [{ clusterName: 'c1', endpoint: 'localhost:5000' }, /^AWS provider option endpoint is "localhost:5000", but it must be an absolute http\(s\) URL/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => aws.createAwsProvider(options),
      (e: unknown) => isTerminalError(e) && message.test((e as Error).message),
    );
  }
});

test('the health-check interval: option, else SLUICE_AWS_HEALTHCHECK_INTERVAL, else 10 s; it is the capability the core polls by', () => {
  const interval = (options: Partial<Parameters<typeof aws.createAwsProvider>[0]>, env: Record<string, string>) =>
    new aws.AwsLoadBalancer({ clusterName: 'c1', ...options }, env).capabilities.healthCheckIntervalMs;
  assert.equal(interval({}, {}), 10_000);
  assert.equal(interval({}, { SLUICE_AWS_HEALTHCHECK_INTERVAL: '5' }), 5_000);
  assert.equal(interval({ healthCheckIntervalSeconds: 20 }, { SLUICE_AWS_HEALTHCHECK_INTERVAL: '5' }), 20_000);
  assert.throws(
    () => interval({}, { SLUICE_AWS_HEALTHCHECK_INTERVAL: '4' }),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'AWS provider SLUICE_AWS_HEALTHCHECK_INTERVAL (option healthCheckIntervalSeconds) is "4", but it must be a whole number of seconds from 5 to 300.',
  );
  assert.throws(() => interval({ healthCheckIntervalSeconds: 2.5 }, {}), (e: unknown) => isTerminalError(e) && /option healthCheckIntervalSeconds is 2\.5/.test((e as Error).message));
});

test('region, endpoint and maxAttempts reach both clients; credentials come from the default chain', async () => {
  const fake = new FakeAws();
  fake.fail('DescribeLoadBalancers', { code: 'InternalFailure', message: 'boom', status: 500, times: 1 });
  const server = await startQueryServer((c) => fake.handle(c));
  const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
  process.env['AWS_ACCESS_KEY_ID'] = 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  const provider = aws.createAwsProvider({ clusterName: 'c1', region: 'us-east-1', endpoint: server.endpoint, maxAttempts: 2 });
  try {
    const svc = { namespace: 'shop', name: 'web', uid: 'u', ports: [{ name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 }], annotations: {} };
    await provider.ensureLoadBalancer('c1', svc, [], new AbortController().signal);
    assert.deepEqual(
      server.calls.slice(0, 3).map((c) => `${c.service}:${c.action}`),
      ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancers', 'ec2:DescribeSubnets'],
      'the 500 was retried once by the SDK, and EC2 went to the same endpoint',
    );
    assert.match(server.calls[0]?.params.get('Version') ?? '', /^2015-12-01$/);
    assert.equal(fake.loadBalancers.length, 1);
  } finally {
    await provider.close();
    await server.close();
    if (saved.id === undefined) delete process.env['AWS_ACCESS_KEY_ID'];
    else process.env['AWS_ACCESS_KEY_ID'] = saved.id;
    if (saved.secret === undefined) delete process.env['AWS_SECRET_ACCESS_KEY'];
    else process.env['AWS_SECRET_ACCESS_KEY'] = saved.secret;
  }
});
