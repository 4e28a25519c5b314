/**
 * Which subnets a new NLB goes into: the annotated ones (IDs as written, Name tags looked
 * up in EC2), else the ones tagged for load balancers the way Kubernetes' AWS integrations
 * tag them:
 * - `kubernetes.io/role/internal-elb` = `1` (or empty) for an internal NLB,
 *   `kubernetes.io/role/elb` = `1` (or empty) for an internet-facing one;
 * - a subnet tagged `kubernetes.io/cluster/<other>` but not for this cluster belongs to
 *   another cluster and is skipped;
 * - one subnet per availability zone: one tagged `kubernetes.io/cluster/<this>` (owned or
 *   shared) wins, then the lowest subnet ID;
 * - all in one VPC: if the candidates span VPCs, only VPCs with subnets tagged for this
 *   cluster count, and if that still leaves more than one, the choice is the user's.
 */
import { DescribeSubnetsCommand, type Filter } from '@aws-sdk/client-ec2';
import { type ServiceSpecView, TerminalError } from '@sluice/core';
import { type Scheme, SUBNETS_ANNOTATION } from './annotations.ts';
import type { AwsApi } from './aws-api.ts';

export interface SubnetCandidate {
  readonly id: string;
  readonly zone: string;
  readonly vpcId: string;
  readonly tags: Readonly<Record<string, string>>;
}

const CLUSTER_TAG_PREFIX = 'kubernetes.io/cluster/';

export function roleTag(scheme: Scheme): string {
  return scheme === 'internal' ? 'kubernetes.io/role/internal-elb' : 'kubernetes.io/role/elb';
}

/** Pure: picks one subnet per zone from tag-discovered candidates, or says why it cannot. */
export function pickSubnets(candidates: readonly SubnetCandidate[], clusterName: string): { subnetIds: string[] } | { problem: string } {
  const ownTag = `${CLUSTER_TAG_PREFIX}${clusterName}`;
  const tagged = (s: SubnetCandidate) => s.tags[ownTag] === 'owned' || s.tags[ownTag] === 'shared';
  const usable = candidates.filter((s) => tagged(s) || !Object.keys(s.tags).some((k) => k.startsWith(CLUSTER_TAG_PREFIX)));
  if (usable.length === 0) return { problem: 'none' };
  const vpcs = new Set(usable.map((s) => s.vpcId));
  let pool = usable;
  if (vpcs.size > 1) {
    const clusterVpcs = new Set(usable.filter(tagged).map((s) => s.vpcId));
    if (clusterVpcs.size !== 1) return { problem: `the tagged subnets span VPCs ${[...vpcs].sort().join(', ')}` };
    pool = usable.filter((s) => clusterVpcs.has(s.vpcId));
  }
  const byZone = new Map<string, SubnetCandidate>();
  for (const s of pool) {
    const best = byZone.get(s.zone);
    if (!best || (tagged(s) && !tagged(best)) || (tagged(s) === tagged(best) && s.id < best.id)) byZone.set(s.zone, s);
  }
  return { subnetIds: [...byZone.values()].map((s) => s.id).sort() };
}

function toCandidate(s: { SubnetId?: string; AvailabilityZone?: string; VpcId?: string; Tags?: { Key?: string; Value?: string }[] }): SubnetCandidate | undefined {
  if (!s.SubnetId || !s.AvailabilityZone || !s.VpcId) return undefined;
  const tags: Record<string, string> = {};
  for (const t of s.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return { id: s.SubnetId, zone: s.AvailabilityZone, vpcId: s.VpcId, tags };
}

async function describeSubnets(api: AwsApi, filters: Filter[], signal: AbortSignal): Promise<SubnetCandidate[]> {
  const out: SubnetCandidate[] = [];
  let token: string | undefined;
  do {
    const page = await api.ec2(new DescribeSubnetsCommand({ Filters: filters, ...(token ? { NextToken: token } : {}) }), signal);
    for (const s of page.Subnets ?? []) {
      const c = toCandidate(s);
      if (c) out.push(c);
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/** Annotated subnets as IDs: IDs pass through; each Name tag must name exactly one subnet. */
export async function subnetIdsFromAnnotation(api: AwsApi, service: ServiceSpecView, items: readonly string[], signal: AbortSignal): Promise<string[]> {
  const ids = items.filter((s) => /^subnet-[0-9a-f]+$/.test(s));
  const names = items.filter((s) => !ids.includes(s));
  if (names.length === 0) return [...ids].sort();
  const found = await describeSubnets(api, [{ Name: 'tag:Name', Values: [...names] }], signal);
  for (const name of names) {
    const matches = found.filter((s) => s.tags['Name'] === name);
    if (matches.length !== 1) {
      throw new TerminalError(
        `Service ${service.namespace}/${service.name} annotation ${SUBNETS_ANNOTATION} names subnet "${name}", which ${matches.length === 0 ? 'no subnet has as its Name tag' : `is the Name tag of ${matches.length} subnets (${matches.map((m) => m.id).join(', ')})`}: use subnet IDs or unique Name tags.`,
        { field: `metadata.annotations[${SUBNETS_ANNOTATION}]`, reason: 'InvalidConfiguration' },
      );
    }
    ids.push(matches[0]!.id);
  }
  return [...new Set(ids)].sort();
}

/** Discovers subnets by role tag for a new NLB of `scheme`. */
export async function discoverSubnets(api: AwsApi, service: ServiceSpecView, scheme: Scheme, clusterName: string, signal: AbortSignal): Promise<string[]> {
  const role = roleTag(scheme);
  const candidates = await describeSubnets(api, [{ Name: `tag:${role}`, Values: ['1', ''] }], signal);
  const picked = pickSubnets(candidates, clusterName);
  if ('subnetIds' in picked) return picked.subnetIds;
  const why = picked.problem === 'none' ? `no subnet is tagged ${role}=1` : picked.problem;
  throw new TerminalError(
    `Cannot place the ${scheme} load balancer of Service ${service.namespace}/${service.name}: ${why}; tag one subnet per availability zone with ${role}=1 (and ${CLUSTER_TAG_PREFIX}${clusterName}=shared or owned), or set the annotation ${SUBNETS_ANNOTATION} to subnet IDs or Name tags.`,
    { field: `metadata.annotations[${SUBNETS_ANNOTATION}]`, reason: 'NoSubnets' },
  );
}
