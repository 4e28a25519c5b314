/**
 * What a phase cost in AWS API requests, as moto's recorder saw them: the requests signed with
 * the controller's access key, split into reads (Describe*, Get*, List*) and writes.
 */
import type { RecordedRequest } from './moto.ts';

export interface CallBudget {
  readonly reads: number;
  readonly writes: number;
  /** Requests by action, reads and writes. */
  readonly calls: Readonly<Record<string, number>>;
}

export const AWS_READ_ACTION = /^(Describe|Get|List)/;

export function awsCallBudget(requests: readonly RecordedRequest[], accessKeyId: string): CallBudget {
  const calls: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  for (const r of requests) {
    if (r.accessKeyId !== accessKeyId) continue;
    calls[r.action] = (calls[r.action] ?? 0) + 1;
    if (AWS_READ_ACTION.test(r.action)) reads++;
    else writes++;
  }
  return { reads, writes, calls };
}
