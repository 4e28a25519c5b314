/**
 * The load balancer attributes Sluice manages on an NLB: only
 * `load_balancing.cross_zone.enabled` (`sluice.dev/aws-cross-zone`). Off on a new NLB (Elastic
 * Load Balancing user guide, "Edit attributes for your Network Load Balancer", cross-zone load
 * balancing): each NLB node then routes only to targets in its own zone. Written with
 * ModifyLoadBalancerAttributes only when it differs from what AWS has.
 */
import {
  DescribeLoadBalancerAttributesCommand,
  type LoadBalancerAttribute,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsServiceSettings } from './annotations.ts';
import type { AwsContext } from './lookup.ts';

export const CROSS_ZONE_ATTRIBUTE = 'load_balancing.cross_zone.enabled';

/** What a new NLB has of the attributes Sluice manages. */
const NLB_DEFAULTS: Readonly<Record<string, string>> = { [CROSS_ZONE_ATTRIBUTE]: 'false' };

/**
 * Pure: the attributes to write so the NLB matches the settings; empty when it already does.
 * `actual` undefined means a load balancer just created, which has NLB's defaults.
 */
export function loadBalancerAttributeChanges(settings: Pick<AwsServiceSettings, 'crossZone'>, actual: readonly LoadBalancerAttribute[] | undefined): LoadBalancerAttribute[] {
  const have: Record<string, string> = { ...NLB_DEFAULTS };
  for (const a of actual ?? []) if (a.Key !== undefined && a.Value !== undefined) have[a.Key] = a.Value;
  const want: Record<string, string> = { [CROSS_ZONE_ATTRIBUTE]: String(settings.crossZone) };
  return Object.entries(want)
    .filter(([key, value]) => have[key] !== value)
    .map(([Key, Value]) => ({ Key, Value }));
}

/**
 * Converges the NLB's attributes. A new NLB (`isNew`) is not described: it has NLB's
 * defaults, so only a non-default setting costs a call.
 */
export async function ensureLoadBalancerAttributes(
  ctx: AwsContext,
  loadBalancerArn: string,
  settings: Pick<AwsServiceSettings, 'crossZone'>,
  isNew: boolean,
  signal: AbortSignal,
): Promise<void> {
  const actual = isNew ? undefined : ((await ctx.api.elbv2(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn }), signal)).Attributes ?? []);
  const changes = loadBalancerAttributeChanges(settings, actual);
  if (changes.length > 0) await ctx.api.elbv2(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn, Attributes: changes }), signal);
}
