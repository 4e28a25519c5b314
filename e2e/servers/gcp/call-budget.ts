/**
 * What a phase cost in Compute API requests, as the test server logged them: reads (get, list,
 * listNetworkEndpoints, getHealth), writes (every other method) and operation polls
 * (zoneOperations / regionOperations wait and get, which follow a write until it is DONE and
 * count against Compute's separate operation-read quota).
 */
import type { LoggedRequest } from '../kit/request-log.ts';

export interface CallBudget {
  readonly reads: number;
  readonly writes: number;
  readonly polls: number;
  /** Requests by REST method (without the `compute.` prefix). */
  readonly calls: Readonly<Record<string, number>>;
}

const POLL = /Operations\.(wait|get)$/;
const READ = /\.(get|list|aggregatedList|listNetworkEndpoints|getHealth)$/;

export function computeCallBudget(requests: readonly LoggedRequest[]): CallBudget {
  const calls: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  let polls = 0;
  for (const r of requests) {
    const method = r.operation.replace(/^compute\./, '');
    calls[method] = (calls[method] ?? 0) + 1;
    if (POLL.test(method)) polls++;
    else if (READ.test(method)) reads++;
    else writes++;
  }
  return { reads, writes, polls, calls };
}
