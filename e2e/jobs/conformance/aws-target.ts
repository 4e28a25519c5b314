/**
 * The aws provider as a conformance target: the real `@sluice/provider-aws` and AWS SDK
 * against moto (servers/aws/moto.ts), through the AWS front (servers/aws/front.ts), which adds
 * ELBv2's documented throttling and answers injected faults the way ELBv2 does. The provider
 * runs as in production (its default client-side rate limits, the SDK's standard retries with
 * its default 5 attempts), signing with an access key of its own, so the front's request log
 * tells its calls from the test's. The suite calls far faster than a controller does: the SDK's
 * retries absorb the front's account-wide throttling, and each case starts only once
 * CreateLoadBalancer's own bucket (10, refilled at one per 5 s) holds what the case may
 * create, as anyone creating load balancers in a real account must wait.
 *
 * Faults, each on the provider's first call of a new Service, armed for every attempt of that
 * call (the SDK would otherwise retry its way past it):
 * - `throttled`: the front answers DescribeLoadBalancers `400 Throttling: Rate exceeded`;
 * - `unavailable`: the front answers DescribeLoadBalancers `503 ServiceUnavailable`;
 * - `rejected`: AWS's own validation, which the front cannot fake: a subnet discovery picks is
 *   deleted right before the CreateLoadBalancer that names it is sent, and moto refuses it
 *   `400 InvalidSubnetID.NotFound` (aws-vanishing-subnet.ts).
 * The foreign resource is a target group with the Service's name prefix (delete looks for
 * leftovers by it) tagged for another team, created through the ELBv2 SDK.
 *
 * moto deregisters a target at once (no deregistration delay): a drained backend is absent
 * from DescribeTargetHealth, where AWS would list it `draining`.
 */
import { CreateTagsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { annotated, type ConformanceTarget, type FaultKind } from '@sluice/core/testing';
import { type AwsLoadBalancer, createAwsProvider, HEALTHCHECK_INTERVAL_ANNOTATION, targetGroupName } from '@sluice/provider-aws';
import { type HarnessLogger, sleep } from '@sluice/testbed/harness';
import { type AwsFront, type AwsTarget, awsCallBudget, startAwsFront, startAwsTarget } from '../../servers/aws/index.ts';
import { DEFAULT_VPC_CIDR, VanishingSubnet } from './aws-vanishing-subnet.ts';
import { CLUSTER, faultCounts, type JobTarget, started } from './job-target.ts';

/** The provider's access key: the front logs it with every call. */
const PROVIDER_KEY = 'AKIDSLUICECONFORMANCE';
/** The provider's default `maxAttempts` (options.ts of @sluice/provider-aws): an armed fault answers each of them. */
const ATTEMPTS = 5;
/** The one account moto serves; the front's buckets are per account and Region. */
const ACCOUNT = '123456789012';
/** The most load balancers one case creates (errors-classified: one per fault kind, and one refused). */
const CREATES_PER_CASE = 4;

interface Aws {
  readonly moto: AwsTarget;
  readonly front: AwsFront;
  /** The test's own clients (access key `test`). */
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ec2: EC2Client;
  readonly provider: AwsLoadBalancer;
  readonly vpcId: string;
  readonly vanishing: VanishingSubnet;
  /** Closes the provider and its clients, the front and moto. */
  close(): Promise<void>;
}

async function targetGroupExists(elb: ElasticLoadBalancingV2Client, name: string): Promise<boolean> {
  try {
    const out = await elb.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    return (out.TargetGroups ?? []).some((g) => g.TargetGroupName === name);
  } catch (error) {
    if ((error as { name?: string }).name === 'TargetGroupNotFoundException') return false;
    throw error;
  }
}

/** Waits until the front's CreateLoadBalancer bucket allows `count` more calls; returns the milliseconds waited. */
async function createBudget(a: Aws, count: number): Promise<number> {
  const scope = `${ACCOUNT}/${a.moto.region}`;
  const started = performance.now();
  while ((a.front.rateLimits?.remaining('resourceIntensive', scope) ?? count) < count) await sleep(200);
  return performance.now() - started;
}

/** Tags moto's default subnets for internal load balancers (as e2e/aws does); returns their VPC and the first one's zone. */
async function tagDefaultSubnets(ec2: EC2Client): Promise<{ vpcId: string; zone: string }> {
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const first = subnets[0];
  if (!first?.VpcId || !first.AvailabilityZone) throw new Error('moto has no default subnets');
  await ec2.send(new CreateTagsCommand({ Resources: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
  const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [first.VpcId] }))).Vpcs?.[0];
  if (vpc?.CidrBlock !== DEFAULT_VPC_CIDR) throw new Error(`moto's default VPC is ${vpc?.CidrBlock}, not ${DEFAULT_VPC_CIDR}: the vanishing subnets need another block`);
  return { vpcId: first.VpcId, zone: first.AvailabilityZone };
}

/** Starts moto, the front in front of it, the clients and the provider; stops what it started when a step fails. */
async function startAws(log: HarnessLogger): Promise<Aws> {
  const moto = await startAwsTarget(log);
  const undo: (() => unknown)[] = [() => moto.stop()];
  try {
    if (moto.real || moto.endpoint === undefined) throw new Error('e2e/conformance runs the aws provider against moto behind the AWS front; unset SLUICE_E2E_REAL (it is for e2e/aws)');
    const front = await startAwsFront({ target: moto.endpoint, account: ACCOUNT });
    undo.unshift(() => front.close());
    const config = (accessKeyId: string, maxAttempts: number) => ({ region: moto.region, endpoint: front.endpoint, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts });
    const elb = new ElasticLoadBalancingV2Client(config('test', 3));
    const ec2 = new EC2Client(config('test', 3));
    const providerElb = new ElasticLoadBalancingV2Client(config(PROVIDER_KEY, ATTEMPTS));
    const providerEc2 = new EC2Client(config(PROVIDER_KEY, ATTEMPTS));
    undo.unshift(() => {
      for (const c of [elb, ec2, providerElb, providerEc2]) c.destroy();
    });
    const { vpcId, zone } = await tagDefaultSubnets(ec2);
    const vanishing = new VanishingSubnet(ec2, vpcId, zone, CLUSTER);
    vanishing.install(providerElb);
    const provider = createAwsProvider({ clusterName: CLUSTER, region: moto.region, elbv2Client: providerElb, ec2Client: providerEc2 });
    log.info(`aws provider: moto ${moto.endpoint} behind the AWS front ${front.endpoint}`);
    undo.unshift(() => provider.close());
    const close = async () => {
      for (const step of undo) await step();
    };
    return { moto, front, elb, ec2, provider, vpcId, vanishing, close };
  } catch (error) {
    for (const step of undo) await step();
    throw error;
  }
}

export function awsTarget(): JobTarget {
  let aws: Aws | undefined;
  /** Milliseconds the cases waited for CreateLoadBalancer's bucket. */
  let paced = 0;
  const foreign: string[] = [];

  const arm: Record<FaultKind, (a: Aws) => void | Promise<void>> = {
    throttled: (a) => a.front.faults.throttleNext(ATTEMPTS, 1, 'DescribeLoadBalancers'),
    unavailable: (a) => a.front.faults.failNext(ATTEMPTS, 503, 'DescribeLoadBalancers'),
    rejected: (a) => a.vanishing.arm(),
  };

  const target: ConformanceTarget = {
    name: 'aws (moto + AWS front)',
    clusterName: CLUSTER,
    drain: 'absent',
    faults: ['throttled', 'unavailable', 'rejected'],
    invalidService: annotated(HEALTHCHECK_INTERVAL_ANNOTATION, '1'),
    async create() {
      const a = started(aws, 'the aws target');
      paced += await createBudget(a, CREATES_PER_CASE);
      return {
        provider: a.provider,
        vendorWrites: () =>
          awsCallBudget(
            a.front.requests.entries().map((r) => ({ action: r.operation, accessKeyId: r.accessKeyId })),
            PROVIDER_KEY,
          ).writes,
        injectFault: (kind) => arm[kind](a),
        async plantForeign(clusterName, service) {
          // The Service's target group name prefix, another port's hash, another owner's tags.
          const name = targetGroupName(clusterName, service, { name: 'foreign', port: 81, protocol: 'TCP' });
          await a.elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'TCP', Port: 81, VpcId: a.vpcId, TargetType: 'ip', Tags: [{ Key: 'team', Value: 'payments' }] }));
          foreign.push(name);
          return { description: `target group ${name} tagged team=payments`, exists: () => targetGroupExists(a.elb, name) };
        },
        async cleanup() {
          // The provider is shared by every case; what this case planted goes, and faults nobody met.
          a.front.faults.clear();
          await a.vanishing.disarm();
          for (const name of foreign.splice(0)) {
            const out = await a.elb.send(new DescribeTargetGroupsCommand({ Names: [name] })).catch(() => undefined);
            const arn = out?.TargetGroups?.[0]?.TargetGroupArn;
            if (arn) await a.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
          }
        },
      };
    },
  };

  return {
    target,
    async start(log: HarnessLogger) {
      aws = await startAws(log);
    },
    async stop() {
      const a = aws;
      aws = undefined;
      await a?.close();
    },
    summary() {
      if (!aws) return 'aws: not started';
      const mine = aws.front.requests.entries().filter((r) => r.accessKeyId === PROVIDER_KEY);
      const budget = awsCallBudget(
        mine.map((r) => ({ action: r.operation, accessKeyId: r.accessKeyId })),
        PROVIDER_KEY,
      );
      const refused = mine.filter((r) => r.operation === 'CreateLoadBalancer' && r.status === 400 && r.fault === undefined).length;
      return (
        `aws: the provider made ${budget.reads} reads and ${budget.writes} writes through the front (its SDK retried what the front throttled); ` +
        `faults and throttles: ${faultCounts(mine)}; CreateLoadBalancer refused by moto after its subnet was deleted: ${refused} (subnets deleted: ${aws.vanishing.deleted}); ` +
        `waited ${(paced / 1000).toFixed(1)} s for CreateLoadBalancer's bucket`
      );
    },
  };
}
