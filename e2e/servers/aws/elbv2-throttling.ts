/**
 * ELB API version 2 request throttling, as AWS documents it in "Request throttling for the
 * Elastic Load Balancing API" (Elastic Load Balancing User Guide, elb-api-throttling):
 *
 * - Token buckets per AWS account and Region; every request takes one token from its
 *   category's bucket and one from the account-level bucket shared by all ELB actions
 *   (capacity 40, refill 10 per second).
 * - Categories (capacity / refill per second): resource-intensive `CreateLoadBalancer`,
 *   `SetSubnets` 10 / 0.2; registration `RegisterTargets`, `DeregisterTargets` 20 / 4;
 *   non-mutating `Describe*` 40 / 10; mutating (every other action) 20 / 3. Of the
 *   uncategorized actions, `Get*` get their own 20 / 4 bucket; the trust-store ones (which
 *   Sluice never calls) share the bucket of the category with their numbers instead of
 *   having their own: `CreateTrustStore` and the trust-store writes resource-intensive
 *   (10 / 0.2), `DescribeTrustStore*` non-mutating (40 / 10).
 * - Over a limit the call fails with `Rate exceeded` (see query-errors.ts for the answer).
 *
 * Calls AWS makes on the account's behalf have their own buckets; the front sees only the
 * calls made to it, so every call it sees counts.
 */
import { bucket, type Limit } from '../kit/limits.ts';
import type { Charge } from '../kit/rate-limiter.ts';

export type ElbLimitName = 'account' | 'resourceIntensive' | 'registration' | 'nonMutating' | 'mutating' | 'getActions';

/** The documented defaults (see the file comment for the document). */
export const ELB_DEFAULT_LIMITS: Readonly<Record<ElbLimitName, Limit>> = {
  account: bucket(40, 10),
  resourceIntensive: bucket(10, 0.2),
  registration: bucket(20, 4),
  nonMutating: bucket(40, 10),
  mutating: bucket(20, 3),
  getActions: bucket(20, 4),
};

const RESOURCE_INTENSIVE = new Set([
  'CreateLoadBalancer',
  'SetSubnets',
  'CreateTrustStore',
  'AddTrustStoreRevocations',
  'DeleteSharedTrustStoreAssociation',
  'DeleteTrustStore',
  'ModifyTrustStore',
  'RemoveTrustStoreRevocations',
]);
const REGISTRATION = new Set(['RegisterTargets', 'DeregisterTargets']);

/** The category bucket of an ELBv2 action. */
export function elbCategory(action: string): Exclude<ElbLimitName, 'account'> {
  if (RESOURCE_INTENSIVE.has(action)) return 'resourceIntensive';
  if (REGISTRATION.has(action)) return 'registration';
  if (action.startsWith('Describe')) return 'nonMutating';
  if (action.startsWith('Get')) return 'getActions';
  return 'mutating';
}

/** The buckets one ELBv2 call takes from, for the account in `region`. */
export function elbCharges(action: string, account: string, region: string): Charge[] {
  const scope = `${account}/${region}`;
  return [
    { limit: 'account', scope },
    { limit: elbCategory(action), scope },
  ];
}
