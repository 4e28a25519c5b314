/**
 * Amazon EC2 API request throttling, as AWS documents it in "Request throttling for the Amazon
 * EC2 API" (Amazon EC2 Developer Guide, ec2-api-throttling), request rate limiting:
 *
 * - Token buckets per AWS account and Region, and per API action: each request takes one token
 *   from its own action's bucket, so one busy action does not throttle another.
 * - Bucket capacity / refill per second by the kind of action (the "Request token limits"
 *   table): non-mutating (`Describe*`) 100 / 20; unfiltered and unpaginated non-mutating
 *   (a `Describe*` call with neither a `Filter` nor `MaxResults`) 50 / 10; mutating (every
 *   other action) 50 / 5.
 * - Over a limit the call fails with the error code `RequestLimitExceeded` (see ec2Throttling
 *   below for the answer).
 *
 * Resource rate limiting (the extra buckets of RunInstances and the like) concerns actions Sluice
 * never calls, and is not modelled.
 */
import { randomUUID } from 'node:crypto';
import { bucket, type Limit } from '../kit/limits.ts';
import type { Charge } from '../kit/rate-limiter.ts';

export type Ec2LimitName = 'nonMutating' | 'unfilteredNonMutating' | 'mutating';

/** The documented defaults (see the file comment for the document). */
export const EC2_DEFAULT_LIMITS: Readonly<Record<Ec2LimitName, Limit>> = {
  nonMutating: bucket(100, 20),
  unfilteredNonMutating: bucket(50, 10),
  mutating: bucket(50, 5),
};

/** The bucket kind of an EC2 call, from its action and its query parameters. */
export function ec2Category(action: string, params: URLSearchParams): Ec2LimitName {
  if (!action.startsWith('Describe')) return 'mutating';
  const filtered = [...params.keys()].some((k) => k.startsWith('Filter.') || k === 'MaxResults');
  return filtered ? 'nonMutating' : 'unfilteredNonMutating';
}

/** The bucket one EC2 call takes from: its action's own, for the account in `region`. */
export function ec2Charges(action: string, params: URLSearchParams, account: string, region: string): Charge[] {
  return [{ limit: ec2Category(action, params), scope: `${account}/${region}/${action}` }];
}

/**
 * EC2's answer to a throttled call: HTTP 503 with the EC2 query protocol's error document,
 * `<Response><Errors><Error><Code>RequestLimitExceeded</Code>...` ("Error codes for the Amazon
 * EC2 API": RequestLimitExceeded, "The maximum request rate permitted by the Amazon EC2 APIs has
 * been exceeded for your account"). The SDK counts the code as throttling and retries it.
 */
export function ec2Throttling(): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>' +
    `<RequestID>${requestId}</RequestID></Response>`;
  return { status: 503, headers: { 'Content-Type': 'text/xml;charset=UTF-8', 'Content-Length': String(Buffer.byteLength(body)) }, body };
}
