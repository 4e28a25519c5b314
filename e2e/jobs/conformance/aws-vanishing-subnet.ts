/**
 * The aws target's `rejected` fault: AWS's own validation, which the AWS front cannot fake (it
 * answers throttles and 5xx only). A subnet is created in the provider's VPC and tagged for
 * internal load balancers of this cluster, so subnet discovery picks it for its zone over the
 * untagged default subnet; it is deleted right before the CreateLoadBalancer that names it
 * leaves the provider's ELBv2 client (a subnet removed between discovery and create), so moto
 * refuses that call `400 InvalidSubnetID.NotFound`. The next ensure no longer discovers the
 * subnet and succeeds: the fault happens once.
 */
import { CreateSubnetCommand, CreateTagsCommand, DeleteSubnetCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/** Where the subnets come from: above moto's default subnets (172.31.0.0/20, 172.31.16.0/20 ... 172.31.80.0/20). */
const BLOCK = (n: number) => `172.31.${240 + n}.0/24`;
export const DEFAULT_VPC_CIDR = '172.31.0.0/16';

export class VanishingSubnet {
  readonly #ec2: EC2Client;
  readonly #vpcId: string;
  readonly #zone: string;
  readonly #clusterName: string;
  /** The subnet to delete before the CreateLoadBalancer that names it; undefined when not armed. */
  #pending: string | undefined;
  #made = 0;
  #deleted = 0;

  /** `ec2` is the test's own client; nothing is created before {@link arm}. */
  constructor(ec2: EC2Client, vpcId: string, zone: string, clusterName: string) {
    this.#ec2 = ec2;
    this.#vpcId = vpcId;
    this.#zone = zone;
    this.#clusterName = clusterName;
  }

  /** Subnets deleted under a CreateLoadBalancer so far. */
  get deleted(): number {
    return this.#deleted;
  }

  /** Lets `client` (the provider's) meet the armed subnet's deletion: it happens in the client, before the call is sent. */
  install(client: ElasticLoadBalancingV2Client): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const subnets = (args.input as { Subnets?: readonly string[] }).Subnets;
        const pending = this.#pending;
        if (context.commandName === 'CreateLoadBalancerCommand' && pending !== undefined && subnets?.includes(pending)) {
          this.#pending = undefined;
          await this.#ec2.send(new DeleteSubnetCommand({ SubnetId: pending }));
          this.#deleted++;
        }
        return next(args);
      },
      { step: 'initialize', name: 'conformanceVanishingSubnet' },
    );
  }

  /** Creates and tags the subnet the next new load balancer is placed in. */
  async arm(): Promise<void> {
    await this.disarm();
    const created = await this.#ec2.send(new CreateSubnetCommand({ VpcId: this.#vpcId, AvailabilityZone: this.#zone, CidrBlock: BLOCK(this.#made++) }));
    const id = created.Subnet?.SubnetId;
    if (!id) throw new Error('moto created no subnet');
    await this.#ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: 'kubernetes.io/role/internal-elb', Value: '1' },
          { Key: `kubernetes.io/cluster/${this.#clusterName}`, Value: 'owned' },
        ],
      }),
    );
    this.#pending = id;
  }

  /** Deletes an armed subnet no CreateLoadBalancer met. */
  async disarm(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) await this.#ec2.send(new DeleteSubnetCommand({ SubnetId: pending }));
  }
}
