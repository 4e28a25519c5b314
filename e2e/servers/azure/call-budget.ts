/**
 * What a phase cost in ARM requests, as the test server logged them: reads (GETs, and the
 * load-balancing-rule health query, a POST that changes nothing), writes (PUT, PATCH, DELETE)
 * and operation polls (the Azure-AsyncOperation and Location URLs a long-running operation is
 * followed on). Token requests to Entra are not ARM requests and are left out.
 */
import type { LoggedRequest } from './arm-server.ts';

export interface CallBudget {
  readonly reads: number;
  readonly writes: number;
  readonly polls: number;
  /** ARM requests by operation ID. */
  readonly calls: Readonly<Record<string, number>>;
}

const POLL = /^(AsyncOperation_Get|OperationResult_Get|ResourceGroupOperationResult_Get)$/;
const READ_POST = /^LoadBalancerLoadBalancingRules_Health$/;

export function armCallBudget(requests: readonly LoggedRequest[]): CallBudget {
  const calls: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  let polls = 0;
  for (const r of requests) {
    if (r.service !== 'arm') continue;
    calls[r.operation] = (calls[r.operation] ?? 0) + 1;
    if (POLL.test(r.operation)) polls++;
    else if (r.method === 'GET' || READ_POST.test(r.operation)) reads++;
    else writes++;
  }
  return { reads, writes, polls, calls };
}
