/**
 * A Service's share of a shared load balancer (annotation `sluice.dev/azure-load-balancer-name`),
 * as pure functions over SDK bodies.
 *
 * The Service's parts are the children whose names start with `<service id>-` (see
 * sharedServiceId): the frontend `<id>-frontend` and per port the pool, probe and rule
 * `<id>-<port>`, plus one tag `sluice-svc-<id>=<namespace>/<name>` recording that the
 * Service uses the load balancer. Every other child, tag and setting belongs to someone
 * else (another Service, another tool, a person) and is carried through a PUT exactly as
 * read, so a whole-load-balancer write changes only this Service's share.
 */
import type { LoadBalancer as AzureLb } from '@azure/arm-network';
import { canonical } from './lb-spec.ts';
import { MANAGED_BY, MAX_TAGS, TAG_MANAGED_BY, TAG_SHARED, TAG_SHARED_SERVICE_PREFIX } from './tags.ts';

const CHILD_KINDS = ['frontendIPConfigurations', 'backendAddressPools', 'probes', 'loadBalancingRules'] as const;

/** Names and tag of one Service inside a shared load balancer. */
export interface SharedShare {
  /** `<service id>-`: every child of the Service starts with it. */
  readonly prefix: string;
  /** `<service id>-frontend`. */
  readonly frontendName: string;
  /** `sluice-svc-<service id>` and `<namespace>/<name>`. */
  readonly tag: readonly [string, string];
}

const mine = (share: SharedShare) => (child: { name?: string | undefined }) => (child.name ?? '').startsWith(share.prefix);
const theirs = (share: SharedShare) => (child: { name?: string | undefined }) => !(child.name ?? '').startsWith(share.prefix);

/** True when the load balancer holds any child of this Service. */
export function hasShareChildren(lb: AzureLb, share: SharedShare): boolean {
  return CHILD_KINDS.some((kind) => (lb[kind] ?? []).some(mine(share)));
}

/** True when the tag proves the Service uses the load balancer (by its cluster- and UID-hashed id). */
export function hasShareTag(lb: AzureLb, share: SharedShare): boolean {
  return lb.tags?.[share.tag[0]] === share.tag[1];
}

/**
 * The whole load balancer body with this Service's children replaced by `ours` (children of
 * a body built by desiredLoadBalancer with prefixed names) and its tag set. `current`
 * absent: a new shared load balancer with `baseTags`.
 */
export function withShare(current: AzureLb | undefined, ours: AzureLb, share: SharedShare, baseTags: Readonly<Record<string, string>>): AzureLb {
  const [tagName, tagValue] = share.tag;
  if (!current) {
    return { ...ours, tags: { ...baseTags, [tagName]: tagValue } };
  }
  const body: AzureLb = { ...current, tags: { ...(current.tags ?? {}), [tagName]: tagValue } };
  for (const kind of CHILD_KINDS) {
    // biome-ignore lint/suspicious/noExplicitAny: the four child arrays have different element types; each is only filtered and concatenated.
    (body as any)[kind] = [...((current[kind] ?? []) as any[]).filter(theirs(share)), ...((ours[kind] ?? []) as any[])];
  }
  return body;
}

/** The whole load balancer body without this Service's children and tag; everything else as read. */
export function withoutShare(current: AzureLb, share: SharedShare): AzureLb {
  const tags = { ...(current.tags ?? {}) };
  delete tags[share.tag[0]];
  const body: AzureLb = { ...current, tags };
  for (const kind of CHILD_KINDS) {
    // biome-ignore lint/suspicious/noExplicitAny: as in withShare.
    (body as any)[kind] = ((current[kind] ?? []) as any[]).filter(theirs(share));
  }
  return body;
}

/** True when the Service's share of `current` already is `ours` and its tag is set. */
export function shareMatches(current: AzureLb, ours: AzureLb, share: SharedShare): boolean {
  if (!hasShareTag(current, share)) return false;
  const only: AzureLb = { sku: ours.sku };
  for (const kind of CHILD_KINDS) {
    // biome-ignore lint/suspicious/noExplicitAny: as in withShare.
    (only as any)[kind] = ((current[kind] ?? []) as any[]).filter(mine(share));
  }
  return JSON.stringify(canonical(only)) === JSON.stringify(canonical(ours));
}

/** Azure's tag limit: a body with more than {@link MAX_TAGS} tags would be rejected. */
export function tooManyTags(body: AzureLb): boolean {
  return Object.keys(body.tags ?? {}).length > MAX_TAGS;
}

/**
 * True when Sluice may delete the shared load balancer: Sluice created it (`sluice-shared=true`,
 * `sluice-managed-by=sluice`) and no Service tag and no child of any kind is left.
 */
export function isAbandonedSluiceShared(lb: AzureLb): boolean {
  const tags = lb.tags ?? {};
  if (tags[TAG_SHARED] !== 'true' || tags[TAG_MANAGED_BY] !== MANAGED_BY) return false;
  if (Object.keys(tags).some((k) => k.startsWith(TAG_SHARED_SERVICE_PREFIX))) return false;
  const anyChildren = [...CHILD_KINDS, 'inboundNatRules', 'inboundNatPools', 'outboundRules'] as const;
  return anyChildren.every((kind) => (lb[kind] ?? []).length === 0);
}
