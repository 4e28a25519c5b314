/**
 * The AWS front with the real `@aws-sdk/client-elastic-load-balancing-v2` against moto behind
 * it, on ELB's documented default buckets and a clock the test moves by hand: a burst past a
 * bucket gets `Throttling` when the SDK does not retry, a throttled call succeeds within the
 * SDK's retry budget once the bucket has refilled, categories have their own buckets beside
 * the shared account bucket, faults are answered in ELB's shape or on the socket and retried
 * by the SDK, and whatever is not ELBv2 goes to moto untouched.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand, DescribeLoadBalancersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { manualClock } from '../kit/time.ts';
import { type AwsFront, startAwsFront } from './front.ts';
import { type AwsTarget, startAwsTarget } from './moto.ts';

interface SdkError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $fault?: string;
}

async function rejection(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    return e as SdkError;
  }
  assert.fail('expected the call to fail');
}

describe('the AWS front with the real ELBv2 SDK and moto', () => {
  let aws: AwsTarget;
  let front: AwsFront;
  const clock = manualClock(0);
  const credentials = { accessKeyId: 'AKIDFRONTTEST', secretAccessKey: 'test' };
  let region: string;
  /** The SDK with its default retry strategy (standard mode, 3 attempts). */
  let retrying: ElasticLoadBalancingV2Client;
  /** The SDK with retries off. */
  let once: ElasticLoadBalancingV2Client;

  before(async () => {
    aws = await startAwsTarget();
    front = await startAwsFront({ target: aws.endpoint!, rateLimits: { now: clock.now }, ec2RateLimits: { now: clock.now } });
    region = aws.region;
    retrying = new ElasticLoadBalancingV2Client({ region, endpoint: front.endpoint, credentials });
    once = new ElasticLoadBalancingV2Client({ region, endpoint: front.endpoint, credentials, maxAttempts: 1 });
  });

  after(async () => {
    retrying?.destroy();
    once?.destroy();
    await front?.close();
    await aws?.stop();
  });

  beforeEach(() => {
    front.rateLimits?.reset();
    front.ec2RateLimits?.reset();
    front.faults.clear();
  });

  const statuses = (action: string) =>
    front.requests
      .entries()
      .filter((r) => r.operation === action)
      .map((r) => r.status);

  it('answers Throttling to the Describe call past the 40-token buckets when the SDK does not retry', async () => {
    front.requests.clear();
    for (let i = 0; i < 40; i++) await once.send(new DescribeLoadBalancersCommand({}));
    const error = await rejection(once.send(new DescribeLoadBalancersCommand({})));
    assert.equal(error.name, 'Throttling');
    assert.equal(error.message, 'Rate exceeded');
    assert.equal(error.$metadata?.httpStatusCode, 400);
    assert.equal(error.$fault, 'client');
    assert.deepEqual(statuses('DescribeLoadBalancers'), [...Array<number>(40).fill(200), 400]);
    assert.equal(front.requests.entries().at(-1)?.fault, 'rate-limited');
    assert.equal(front.rateLimits?.remaining('account', `123456789012/${region}`), 0);
  });

  it('lets a throttled call succeed within the SDK retry budget once the bucket refilled', async () => {
    for (let i = 0; i < 40; i++) await once.send(new DescribeLoadBalancersCommand({}));
    front.requests.clear();
    // The buckets refill 10 tokens a second: a second passes for them when the front throttles.
    const stop = front.requests.subscribe((r) => {
      if (r.fault === 'rate-limited') clock.advance(1_000);
    });
    try {
      const out = await retrying.send(new DescribeLoadBalancersCommand({}));
      assert.deepEqual(out.LoadBalancers, []);
      assert.equal(out.$metadata.attempts, 2);
    } finally {
      stop();
    }
    assert.deepEqual(statuses('DescribeLoadBalancers'), [400, 200]);
  });

  it('gives registration its own 20-token bucket beside the shared account bucket', async () => {
    front.requests.clear();
    const ec2 = new EC2Client({ region, endpoint: front.endpoint, credentials });
    const vpcs = await ec2.send(new DescribeVpcsCommand({}));
    ec2.destroy();
    const tg = await once.send(new CreateTargetGroupCommand({ Name: 'front-test', Protocol: 'TCP', Port: 8080, VpcId: vpcs.Vpcs?.[0]?.VpcId, TargetType: 'ip' }));
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn;
    for (let i = 0; i < 20; i++) await once.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: `10.0.0.${i + 1}`, Port: 8080 }] }));
    const error = await rejection(once.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.0.0.99', Port: 8080 }] })));
    assert.equal(error.name, 'Throttling');
    const health = await once.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    assert.equal(health.TargetHealthDescriptions?.length, 20, 'Describe* still passes, and the throttled registration never reached moto');
    assert.equal(front.rateLimits?.remaining('account', `123456789012/${region}`), 40 - 1 - 20 - 1, 'every allowed ELB call took an account token; the throttled one did not');
    assert.equal(front.requests.count((r) => r.service === 'ec2' && r.fault === undefined), 1, 'EC2 went to moto untouched');
  });

  it('throttles EC2 per action with its own buckets and RequestLimitExceeded: unfiltered Describe 50, filtered 100', async () => {
    const ec2 = new EC2Client({ region, endpoint: front.endpoint, credentials, maxAttempts: 1 });
    try {
      for (let i = 0; i < 50; i++) await ec2.send(new DescribeVpcsCommand({}));
      const error = await rejection(ec2.send(new DescribeVpcsCommand({})));
      assert.equal(error.name, 'RequestLimitExceeded');
      assert.equal(error.$metadata?.httpStatusCode, 503);
      assert.equal(front.requests.entries().at(-1)?.fault, 'rate-limited');
      const filtered = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
      assert.equal(filtered.Vpcs?.length, 1, 'a filtered Describe takes from the 100-token bucket, not the spent unfiltered one');
      await ec2.send(new DescribeSubnetsCommand({}));
      assert.equal(front.ec2RateLimits?.remaining('unfilteredNonMutating', `123456789012/${region}/DescribeSubnets`), 49, 'each action has its own bucket');
      assert.equal(front.ec2RateLimits?.remaining('unfilteredNonMutating', `123456789012/${region}/DescribeVpcs`), 0);
    } finally {
      ec2.destroy();
    }
  });

  it('answers injected 5xx in ELB shape and drops or holds connections, all retried by the SDK', async () => {
    front.requests.clear();
    front.faults.failNext(1, 503, 'DescribeLoadBalancers');
    front.faults.dropNext(1, 'DescribeLoadBalancers');
    await retrying.send(new DescribeLoadBalancersCommand({}));
    assert.deepEqual(statuses('DescribeLoadBalancers'), [503, 0, 200]);
    front.faults.failNext(1, 500, 'DescribeLoadBalancers');
    const error = await rejection(once.send(new DescribeLoadBalancersCommand({})));
    assert.equal(error.name, 'InternalFailure');
    assert.equal(error.$fault, 'server');

    const patient = new ElasticLoadBalancingV2Client({ region, endpoint: front.endpoint, credentials, requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } });
    try {
      front.requests.clear();
      // The SDK gives up on the held call after its 300 ms request timeout; the front sees the socket close.
      front.faults.timeoutNext(1, 'DescribeLoadBalancers');
      const out = await patient.send(new DescribeLoadBalancersCommand({}));
      assert.equal(out.$metadata.attempts, 2, 'the held call timed out and the SDK retried it');
      assert.deepEqual(
        front.requests.entries().map((r) => [r.status, r.fault]),
        [
          [0, 'timeout'],
          [200, undefined],
        ],
      );
    } finally {
      patient.destroy();
    }
  });

  it('faults the same calls on every run of a seed', async () => {
    const run = async () => {
      front.rateLimits?.reset();
      front.requests.clear();
      front.faults.setRates({ seed: 11, error: { probability: 0.3, status: 503 }, match: 'DescribeLoadBalancers' });
      for (let i = 0; i < 20; i++) await once.send(new DescribeLoadBalancersCommand({})).catch(() => undefined);
      return statuses('DescribeLoadBalancers');
    };
    const first = await run();
    assert.ok(first.includes(503) && first.includes(200), `a mix of outcomes: ${first.join(',')}`);
    assert.deepEqual(await run(), first);
  });
});
