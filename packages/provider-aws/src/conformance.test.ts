/**
 * The provider conformance suite of @sluice/core/testing against the aws provider, through the
 * real SDK to the recorded-shape fake ELBv2/EC2 on a loopback socket (test-support/). The same
 * target, pointed at moto, is the e2e job's business.
 */
import { after, test } from 'node:test';
import { annotated, type ConformanceTarget, type FaultKind, runConformance } from '@sluice/core/testing';
import { targetGroupNamePrefix } from './names.ts';
import type { FakeFailure } from './test-support/fake-aws.ts';
import { CLUSTER, startHarness, WRITE } from './test-support/harness.ts';

/** What the fake answers the provider's first call (DescribeLoadBalancers) with, per fault. */
const FAULTS: Record<FaultKind, FakeFailure> = {
  throttled: { code: 'Throttling', message: 'Rate exceeded', status: 400, times: 1 },
  unavailable: { code: 'ServiceUnavailable', message: 'The service is unavailable. Please try again shortly.', status: 503, times: 1 },
  rejected: { code: 'ValidationError', message: 'The request is not valid.', status: 400, times: 1 },
};

const target: ConformanceTarget = {
  name: 'aws (fake ELBv2)',
  clusterName: CLUSTER,
  drain: 'draining',
  faults: ['throttled', 'unavailable', 'rejected'],
  invalidService: annotated('sluice.dev/aws-healthcheck-interval', '1'),
  async create() {
    const h = await startHarness();
    return {
      provider: h.provider,
      vendorWrites: () => h.server.calls.filter((c) => WRITE.test(c.action)).length,
      injectFault: (kind) => h.fake.fail('DescribeLoadBalancers', FAULTS[kind]),
      plantForeign(clusterName, service) {
        // A target group with the Service's name prefix (delete looks for leftovers by it) but another owner's tags.
        const name = `${targetGroupNamePrefix(clusterName, service)}f0f0f0-81`;
        const arn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/ffffffffffffffff`;
        h.fake.targetGroups.push({ arn, name, protocol: 'TCP', port: 81, vpcId: 'vpc-1', targetType: 'ip', health: {}, attributes: {}, tags: { team: 'payments' }, targets: new Map() });
        return { description: `target group ${name} tagged team=payments`, exists: () => h.fake.targetGroups.some((g) => g.arn === arn) };
      },
      cleanup: () => h.close(),
    };
  },
};

runConformance([target], { test, after });
