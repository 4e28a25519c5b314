/**
 * `aws` as a provider under test for the testbed's rollout scenario: start() brings up the
 * AWS twin (moto, the front, the NLB twin and its data plane at the profile's time scale),
 * tags moto's subnets for internal NLBs (what an operator does for subnet discovery), and
 * hands the controller the front's endpoint. The profile reaches AWS the way a user would
 * set it: Service annotations for the target groups' health check and deregistration delay.
 *
 * A profile an NLB cannot honour is refused in one sentence (ranges from "Health checks for
 * Network Load Balancer target groups" and "Deregistration delay" in the ELB user guide).
 */
import { CreateSecurityGroupCommand, CreateTagsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { ProviderUnderTest, TimingProfile } from '@sluice/testbed/scenario';
import { AWS_READ_ACTION } from './call-budget.ts';
import { type AwsTwin, type AwsTwinOptions, startAwsTwin } from './twin.ts';

/** The pod network's range: the twin puts these addresses in the cluster's security group. */
export const POD_NETWORK = '10.0.0.0/8';
/** Where the scenario's clients connect from: the twin's "internet" is loopback. */
export const CLIENT_RANGE = '127.0.0.0/8';

/** The controller signs with its own access key, so its calls can be told from the test's and the twin's. */
export const CONTROLLER_ACCESS_KEY = 'AKIDSLUICECONTROLLER';

function wholeSecondsIn(field: string, ms: number, min: number, max: number): string | undefined {
  const s = ms / 1000;
  return Number.isInteger(s) && s >= min && s <= max ? undefined : `${field} is ${ms}: an NLB target group takes whole seconds from ${min} to ${max}.`;
}

function countIn(field: string, n: number, min: number, max: number): string | undefined {
  return Number.isInteger(n) && n >= min && n <= max ? undefined : `${field} is ${n}: an NLB target group takes ${min} to ${max}.`;
}

/** The Service annotations that make the provider configure the profile's target groups. */
export function profileAnnotations(profile: TimingProfile): Record<string, string> {
  const drain = profile.drain.kind === 'deregister' ? profile.drain : undefined;
  return {
    // The NLB's security group admits the scenario's clients.
    'service.beta.kubernetes.io/load-balancer-source-ranges': CLIENT_RANGE,
    'sluice.dev/aws-healthcheck-interval': String(profile.healthIntervalMs / 1000),
    'sluice.dev/aws-healthcheck-timeout': String(profile.healthTimeoutMs / 1000),
    'sluice.dev/aws-healthcheck-healthy-threshold': String(profile.healthyThreshold),
    'sluice.dev/aws-healthcheck-unhealthy-threshold': String(profile.unhealthyThreshold),
    ...(drain
      ? {
          'sluice.dev/aws-deregistration-delay': String(drain.delayMs / 1000),
          'sluice.dev/aws-connection-termination': String(drain.terminateOnExpiry),
        }
      : {}),
  };
}

export interface AwsProviderUnderTestOptions {
  readonly clusterName?: string;
  /** Passed to the twin (e.g. `rateLimits`). */
  readonly twin?: Omit<AwsTwinOptions, 'timeScale' | 'registrationDelayMs'>;
  /** Called with the twin once it runs (to read its request log or data plane later). */
  readonly onTwin?: (twin: AwsTwin) => void;
}

export function awsProviderUnderTest(options: AwsProviderUnderTestOptions = {}): ProviderUnderTest {
  return {
    name: 'aws',
    refuses(profile) {
      if (profile.drain.kind !== 'deregister') return `drain.kind is ${profile.drain.kind}: an NLB target group drains by deregistration (deregister).`;
      return (
        wholeSecondsIn('healthIntervalMs', profile.healthIntervalMs, 5, 300) ??
        wholeSecondsIn('healthTimeoutMs', profile.healthTimeoutMs, 2, 120) ??
        countIn('healthyThreshold', profile.healthyThreshold, 2, 10) ??
        countIn('unhealthyThreshold', profile.unhealthyThreshold, 2, 10) ??
        wholeSecondsIn('drain.delayMs', profile.drain.delayMs, 0, 3600)
      );
    },
    async start(_env, profile) {
      const cluster = options.clusterName ?? 'rollout';
      const twin = await startAwsTwin({ ...options.twin, timeScale: profile.timeScale, registrationDelayMs: profile.registrationLatencyMs });
      try {
        const ec2 = new EC2Client({ region: twin.region, endpoint: twin.moto.endpoint, credentials: { accessKeyId: 'AKIDSLUICESETUP', secretAccessKey: 'test' } });
        try {
          const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
          await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
          // The pods' security group, tagged for the cluster as EKS tags its cluster group: Sluice adds the NLB's rules to it.
          const pods = await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: 'cluster-pods',
              Description: 'the pods of the rollout cluster',
              VpcId: subnets[0]?.VpcId,
              TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' }, { Key: 'sluice.dev/cluster', Value: cluster }] }],
            }),
          );
          await twin.twin.setPodSecurityGroups([{ cidr: POD_NETWORK, groupIds: [pods.GroupId!] }]);
        } finally {
          ec2.destroy();
        }
      } catch (error) {
        await twin.stop();
        throw error;
      }
      options.onTwin?.(twin);
      // Gates read health as often as the (scaled) target group checks it.
      const pollMs = Math.max(50, Math.round(profile.healthIntervalMs * profile.timeScale));
      return {
        controllerArgs: ['--cluster-name', cluster, '--health-poll-ms', String(pollMs)],
        controllerEnv: { ...twin.env, AWS_ACCESS_KEY_ID: CONTROLLER_ACCESS_KEY },
        serviceAnnotations: profileAnnotations(profile),
        resolveHostname: (hostname) => twin.resolve(hostname),
        // ELBv2 and EC2 have no operations to poll: every call answers at once.
        cloudCalls: () => {
          const mine = twin.front.requests.entries().filter((r) => r.accessKeyId === CONTROLLER_ACCESS_KEY);
          const reads = mine.filter((r) => AWS_READ_ACTION.test(r.operation)).length;
          return { reads, writes: mine.length - reads, polls: 0 };
        },
        stop: () => twin.stop(),
      };
    },
  };
}
