/**
 * What RegisterTargets refuses on AWS and moto accepts, for `ip` target groups:
 *
 * - "RegisterTargets" and the `TargetDescription` data type (API Reference): an IP address
 *   outside the VPC needs `AvailabilityZone`, and for it only `all` is valid; an address in
 *   the VPC cannot be overridden to `all`. The messages are AWS's wording of the
 *   `ValidationError`s, as its users have reported them.
 * - "Quotas for your Network Load Balancers": 1,000 targets per target group
 *   (`TooManyTargets`, "You've reached the limit on the number of targets.").
 *
 * Pure: the VPC's ranges and subnets are given.
 */
import { parseAddress, parseRange, rangeContains } from '@sluice/dataplane';
import type { TargetParam } from './query-protocol.ts';

export const TARGETS_PER_TARGET_GROUP = 1000;

/** A VPC as RegisterTargets judges addresses: its CIDR blocks and its subnets' ranges and zones. */
export interface NetworkView {
  readonly cidrs: readonly string[];
  readonly subnets: readonly { readonly cidr: string; readonly zone: string }[];
}

const inRange = (cidr: string, ip: string): boolean => {
  const parsed = parseRange(cidr, { hostBits: 'clear' });
  const address = parseAddress(ip);
  return 'range' in parsed && address !== undefined && rangeContains(parsed.range, address);
};

/** The zone of the subnet holding `ip`, or undefined when no subnet of the VPC holds it. */
export function zoneOf(ip: string, network: NetworkView | undefined): string | undefined {
  return network?.subnets.find((s) => inRange(s.cidr, ip))?.zone;
}

export interface Refusal {
  readonly code: string;
  readonly message: string;
}

/**
 * The first refusal AWS would give the registration of `targets` into a group whose
 * registered targets are `registered` (ip:port), or undefined when it accepts it.
 */
export function registrationRefusal(
  targets: readonly TargetParam[],
  defaultPort: number,
  registered: ReadonlySet<string>,
  network: NetworkView | undefined,
  quota: number,
): Refusal | undefined {
  if (network !== undefined) {
    for (const t of targets) {
      const inside = network.cidrs.some((c) => inRange(c, t.id));
      if (!inside && t.availabilityZone === undefined) {
        return { code: 'ValidationError', message: `The Availability Zone is required for IP address '${t.id}' because it is not in the VPC` };
      }
      if (!inside && t.availabilityZone !== 'all') {
        return {
          code: 'ValidationError',
          message: `You must specify a valid Availability Zone or select 'all' for all enabled Availability zones, since the IP address '${t.id}' is outside the VPC`,
        };
      }
      if (inside && t.availabilityZone === 'all') {
        return {
          code: 'ValidationError',
          message: `The IP address '${t.id}' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${zoneOf(t.id, network) ?? 'its subnet'}'`,
        };
      }
    }
  }
  const after = new Set(registered);
  for (const t of targets) after.add(`${t.id}:${t.port ?? defaultPort}`);
  if (after.size > quota) return { code: 'TooManyTargets', message: "You've reached the limit on the number of targets." };
  return undefined;
}
