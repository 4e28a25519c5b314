/**
 * ARM's request throttling, as Microsoft documents it in "Request limits and throttling"
 * (learn.microsoft.com, azure-resource-manager/management/request-limits-and-throttling):
 *
 * - Subscription limits are token buckets applied per region, per subscription, per security
 *   principal and per operation type: reads 250 tokens refilled at 25/s, writes 200 at 10/s,
 *   deletes 200 at 10/s. The global subscription limits, across all principals, are 15 times
 *   those. (The server is one region; the principal is the token's `appid`.)
 * - Resource providers throttle on top. The section "Network throttling" gives the
 *   Microsoft.Network provider's: write / delete (PUT) 1000 per 5 minutes, read (GET) 10000
 *   per 5 minutes, per subscription; modelled as fixed 5-minute windows.
 * - Over a limit ARM answers 429 Too Many Requests with `Retry-After` in seconds (section
 *   "Error code"). The body follows Microsoft's "Troubleshoot the SubscriptionRequestsThrottled
 *   error code (429)" (AKS troubleshooting): code `SubscriptionRequestsThrottled` and a
 *   message naming the subscription and the operation that ran out.
 * - Answers carry the remaining subscription-scoped requests in
 *   `x-ms-ratelimit-remaining-subscription-reads|writes|deletes` (section "Remaining requests").
 *
 * ARM counts by HTTP method: GET (and HEAD) are reads, DELETE deletes, every other method
 * (PUT, PATCH, POST) writes. Identity (Entra) requests are not ARM requests and never count.
 */
import { bucket, type Limit, perWindow } from '../kit/limits.ts';
import type { Charge, RateDecision, RateLimiter } from '../kit/rate-limiter.ts';
import { ArmError } from './arm-errors.ts';

export type ArmLimitName =
  | 'subscriptionReads'
  | 'subscriptionWrites'
  | 'subscriptionDeletes'
  | 'subscriptionGlobalReads'
  | 'subscriptionGlobalWrites'
  | 'subscriptionGlobalDeletes'
  | 'networkReads'
  | 'networkWrites';

const FIVE_MINUTES = 5 * 60_000;

/** The documented defaults (see the file comment for the documents). */
export const ARM_DEFAULT_LIMITS: Readonly<Record<ArmLimitName, Limit>> = {
  subscriptionReads: bucket(250, 25),
  subscriptionWrites: bucket(200, 10),
  subscriptionDeletes: bucket(200, 10),
  subscriptionGlobalReads: bucket(250 * 15, 25 * 15),
  subscriptionGlobalWrites: bucket(200 * 15, 10 * 15),
  subscriptionGlobalDeletes: bucket(200 * 15, 10 * 15),
  networkReads: perWindow(10_000, FIVE_MINUTES),
  networkWrites: perWindow(1_000, FIVE_MINUTES),
};

export type ArmOperationType = 'read' | 'write' | 'delete';

export function operationTypeOf(method: string): ArmOperationType {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  return m === 'DELETE' ? 'delete' : 'write';
}

const PER_PRINCIPAL = { read: 'subscriptionReads', write: 'subscriptionWrites', delete: 'subscriptionDeletes' } as const;
const GLOBAL = { read: 'subscriptionGlobalReads', write: 'subscriptionGlobalWrites', delete: 'subscriptionGlobalDeletes' } as const;

/** What one ARM request is: who sent it where, for the limits. */
export interface ArmCall {
  readonly method: string;
  /** The route's Swagger path (with `:params`), for the provider's operation name. */
  readonly pattern: string;
  readonly subscriptionId: string;
  /** The caller's application id (the token's `appid`). */
  readonly principal: string;
}

const isNetwork = (pattern: string) => /\/providers\/Microsoft\.Network\//i.test(pattern);

/** The limits `call` counts against. */
export function armCharges(call: ArmCall): Charge[] {
  const type = operationTypeOf(call.method);
  const sub = call.subscriptionId.toLowerCase();
  const charges: Charge[] = [
    { limit: PER_PRINCIPAL[type], scope: `${sub}/${call.principal}` },
    { limit: GLOBAL[type], scope: sub },
  ];
  if (isNetwork(call.pattern)) charges.push({ limit: type === 'read' ? 'networkReads' : 'networkWrites', scope: sub });
  return charges;
}

/**
 * The provider's operation name as its throttling message prints it: the method and the
 * path's constant segments, upper-cased (`GET/SUBSCRIPTIONS/RESOURCEGROUPS/PROVIDERS/...`).
 */
function providerOperation(call: ArmCall): string {
  const constant = call.pattern.split('/').filter((s) => s !== '' && !s.startsWith(':'));
  return `${call.method.toUpperCase()}/${constant.join('/').toUpperCase()}`;
}

/** The 429 ARM answers when `decision` denied `call`. */
export function subscriptionRequestsThrottled(call: ArmCall, decision: Extract<RateDecision, { allowed: false }>): ArmError {
  const seconds = Number.isFinite(decision.retryAfterMs) ? Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) : 3600;
  const type = operationTypeOf(call.method);
  const message = decision.limit.startsWith('network')
    ? `Number of requests for subscription '${call.subscriptionId}' and operation '${providerOperation(call)}' exceeded the backend storage limit. Please try again after '${seconds}' seconds.`
    : decision.limit.startsWith('subscriptionGlobal')
      ? `Number of '${type}' requests for subscription '${call.subscriptionId}' exceeded. Please try again after '${seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`
      : `Number of '${type}' requests for subscription '${call.subscriptionId}' actor '${call.principal}' exceeded. Please try again after '${seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`;
  return new ArmError(429, 'SubscriptionRequestsThrottled', message, {
    headers: { 'Retry-After': String(seconds), [`x-ms-ratelimit-remaining-subscription-${type}s`]: '0' },
  });
}

/** The `x-ms-ratelimit-remaining-subscription-*` header for an answered `call`. */
export function remainingHeaders(limiter: RateLimiter, call: ArmCall): Record<string, string> {
  const type = operationTypeOf(call.method);
  const left = limiter.remaining(PER_PRINCIPAL[type], `${call.subscriptionId.toLowerCase()}/${call.principal}`);
  return left === undefined ? {} : { [`x-ms-ratelimit-remaining-subscription-${type}s`]: String(left) };
}
