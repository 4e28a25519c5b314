/**
 * Options of the aws provider and the one place their defaults are filled in.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type Logger, TerminalError } from '@sluice/core';
import { silentLogger } from '@sluice/core/provider-kit';
import { DEFAULT_HEALTHCHECK_INTERVAL } from './annotations.ts';

/**
 * Client-side request rates per call class, in calls per second. Each class is a token
 * bucket holding one second's worth of calls, so short bursts pass at once and a long
 * run settles at the rate. AWS throttles ELBv2 per account and region, shared with every
 * other tool in the account: staying under it keeps Sluice from starving them, and them
 * from starving Sluice.
 */
export interface RateLimits {
  /**
   * Describe* calls (ELBv2 and EC2): ELB's bucket for non-mutating actions refills 10 a second
   * (EC2's Describe* 20), "Request throttling for the Elastic Load Balancing API".
   * @default 10
   */
  readonly describe?: number;
  /**
   * RegisterTargets and DeregisterTargets: ELB's registration bucket refills 4 a second.
   * @default 4
   */
  readonly registration?: number;
  /**
   * Every other write: create, modify, delete, set. ELB's bucket for mutating actions refills
   * 3 a second (EC2's 5).
   * @default 3
   */
  readonly write?: number;
  /**
   * Every ELBv2 call, whatever its class: ELB's account-wide bucket refills 10 tokens a second
   * ("Request throttling for the Elastic Load Balancing API"), so more would only be throttled
   * and retried (each retry another request against the same bucket).
   * @default 10
   */
  readonly elbAccount?: number;
}

export interface AwsProviderOptions {
  /**
   * Names the cluster. Resource names hash it with the Service UID, and every resource is
   * tagged `sluice.dev/cluster=<clusterName>`, so two clusters in one account never touch
   * each other's load balancers. Subnet discovery prefers subnets tagged
   * `kubernetes.io/cluster/<clusterName>`.
   */
  readonly clusterName: string;
  /**
   * The AWS region.
   * @default the SDK default chain (`AWS_REGION`, then the shared config file)
   */
  readonly region?: string;
  /**
   * An endpoint for both ELBv2 and EC2 instead of AWS's own, e.g. an emulator.
   * @default the SDK default, which honours `AWS_ENDPOINT_URL` and the per-service
   * `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2` / `AWS_ENDPOINT_URL_EC2`
   */
  readonly endpoint?: string;
  /**
   * Attempts per AWS call, including the first, made by the SDK's standard retry
   * strategy on throttling, 5xx and network errors.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Client-side rate limits per call class.
   * @default { describe: 10, registration: 4, write: 3, elbAccount: 10 }
   */
  readonly rateLimits?: RateLimits;
  /**
   * The health-check interval, in seconds (5-300), of the target group of every Service that
   * does not set `sluice.dev/aws-healthcheck-interval`. It is also the provider's
   * `healthCheckIntervalMs`: while a readiness gate waits, target health is read no more often
   * than this (unless the controller's `--health-poll-ms` says otherwise), since it cannot
   * change faster than the NLB checks it.
   * @default the `SLUICE_AWS_HEALTHCHECK_INTERVAL` environment variable, else 10 (aws-load-balancer-controller's default for NLB IP targets; NLB's own is 30)
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * The pods' security groups, where the rules letting each NLB's security group reach the
   * pods go.
   * @default the security groups of the NLB's VPC tagged `kubernetes.io/cluster/<clusterName>` (as EKS tags its cluster security group)
   */
  readonly backendSecurityGroups?: readonly string[];
  /**
   * `manage`: Sluice adds (tagged as the Service's) and removes the rules in the pods' groups
   * that let the NLB's group reach the pods on their target and health-check ports. `off`: it
   * writes none, and a pod whose target is not healthy while a rule is missing has its gate
   * message name the missing rule.
   * @default 'manage'
   */
  readonly backendSecurityGroupRules?: 'manage' | 'off';
  /**
   * Where the provider logs; every AWS call is logged at debug as `aws call` with its
   * `operation`.
   * @default a logger that discards everything
   */
  readonly log?: Logger;
  /**
   * The ELBv2 client to use instead of one built from `region`, `endpoint` and
   * `maxAttempts` (tests inject one). The provider never destroys an injected client.
   * @default a new client; credentials from the SDK default chain
   */
  readonly elbv2Client?: ElasticLoadBalancingV2Client;
  /**
   * The EC2 client (subnet discovery) to use instead of one built from the options.
   * @default a new client; credentials from the SDK default chain
   */
  readonly ec2Client?: EC2Client;
}

export interface ResolvedAwsProviderOptions {
  readonly clusterName: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly maxAttempts: number;
  readonly rateLimits: Required<RateLimits>;
  readonly healthCheckIntervalSeconds: number;
  readonly backendSecurityGroups: readonly string[] | undefined;
  readonly backendSecurityGroupRules: 'manage' | 'off';
  readonly log: Logger;
  readonly elbv2Client: ElasticLoadBalancingV2Client | undefined;
  readonly ec2Client: EC2Client | undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
/** The environment variable that fills `healthCheckIntervalSeconds` when it is not given. */
export const HEALTHCHECK_INTERVAL_ENV = 'SLUICE_AWS_HEALTHCHECK_INTERVAL';
export const DEFAULT_RATE_LIMITS: Required<RateLimits> = { describe: 10, registration: 4, write: 3, elbAccount: 10 };

/** Fills in the defaults (from `env` where an option says so); rejects values that cannot work, naming the option. */
export function resolveOptions(options: AwsProviderOptions, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedAwsProviderOptions {
  const clusterName = options?.clusterName;
  if (typeof clusterName !== 'string' || clusterName.trim() === '' || clusterName.length > 200) {
    throw new TerminalError(`AWS provider option clusterName is ${JSON.stringify(clusterName)}, but it must be a non-empty string of at most 200 characters.`, {
      field: 'clusterName',
    });
  }
  const resolved: ResolvedAwsProviderOptions = {
    clusterName,
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...definedOnly(options.rateLimits) },
    healthCheckIntervalSeconds: healthCheckInterval(options.healthCheckIntervalSeconds, env[HEALTHCHECK_INTERVAL_ENV]),
    backendSecurityGroups: options.backendSecurityGroups,
    backendSecurityGroupRules: options.backendSecurityGroupRules ?? 'manage',
    log: options.log ?? silentLogger,
    elbv2Client: options.elbv2Client,
    ec2Client: options.ec2Client,
  };
  for (const group of resolved.backendSecurityGroups ?? []) {
    if (!/^sg-[0-9a-f]{8,17}$/.test(group)) {
      throw new TerminalError(`AWS provider option backendSecurityGroups has "${group}", but each must be a security group ID such as sg-0123456789abcdef0.`, { field: 'backendSecurityGroups' });
    }
  }
  if (resolved.backendSecurityGroupRules !== 'manage' && resolved.backendSecurityGroupRules !== 'off') {
    throw new TerminalError(`AWS provider option backendSecurityGroupRules is "${String(resolved.backendSecurityGroupRules)}", but it must be manage or off.`, { field: 'backendSecurityGroupRules' });
  }
  if (!Number.isSafeInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new TerminalError(`AWS provider option maxAttempts is ${resolved.maxAttempts}, but it must be an integer of at least 1.`, { field: 'maxAttempts' });
  }
  for (const [name, rate] of Object.entries(resolved.rateLimits)) {
    if (typeof rate !== 'number' || Number.isNaN(rate) || rate <= 0) {
      throw new TerminalError(`AWS provider option rateLimits.${name} is ${rate}, but it must be a number of calls per second above 0 (Infinity for no limit).`, {
        field: `rateLimits.${name}`,
      });
    }
  }
  if (resolved.endpoint !== undefined && !/^https?:$/.test(URL.parse(resolved.endpoint)?.protocol ?? '')) {
    throw new TerminalError(`AWS provider option endpoint is "${resolved.endpoint}", but it must be an absolute http(s) URL such as http://127.0.0.1:5000.`, {
      field: 'endpoint',
    });
  }
  return resolved;
}

/** The option, else the environment variable, else {@link DEFAULT_HEALTHCHECK_INTERVAL}; 5-300 whole seconds, as NLB allows. */
function healthCheckInterval(given: number | undefined, fromEnv: string | undefined): number {
  const raw = fromEnv?.trim() || undefined;
  const value = given ?? (raw === undefined ? DEFAULT_HEALTHCHECK_INTERVAL : /^\d+$/.test(raw) ? Number(raw) : Number.NaN);
  if (!Number.isSafeInteger(value) || value < 5 || value > 300) {
    const source = given !== undefined ? `option healthCheckIntervalSeconds is ${given}` : `${HEALTHCHECK_INTERVAL_ENV} (option healthCheckIntervalSeconds) is "${raw}"`;
    throw new TerminalError(`AWS provider ${source}, but it must be a whole number of seconds from 5 to 300.`, { field: 'healthCheckIntervalSeconds' });
  }
  return value;
}

function definedOnly(limits: RateLimits | undefined): RateLimits {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(limits ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
