/**
 * What the conformance job holds of each provider: its conformance target (the table's
 * column) and the vendor it runs against, started once before the first case and stopped
 * after the last. A target's `create()` hands out the one provider it started, so every
 * case of a column talks to the same vendor; the suite gives every case Services of its own.
 */
import type { ConformanceTarget } from '@sluice/core/testing';
import type { HarnessLogger } from '@sluice/testbed/harness';

export interface JobTarget {
  readonly target: ConformanceTarget;
  /** Starts the vendor (or test server) and the provider; nothing runs before. */
  start(log: HarnessLogger): Promise<void>;
  /** Closes the provider and stops the vendor; safe after a failed or missing start. */
  stop(): Promise<void>;
  /** One line for the job's report: what the vendor saw, once every case has run. */
  summary(): string;
}

/** The cluster every provider is told it runs in. */
export const CLUSTER = 'conformance';

/**
 * The suite's backends (10.77.x.y) moved to loopback (127.77.x.y): the local provider and the
 * Azure and GCP test servers probe backends with real connections, and this job sends traffic
 * to loopback only.
 */
export function onLoopback(ip: string): string {
  return ip.replace(/^10\./, '127.');
}

/** What a test server did to requests instead of answering them normally, counted: `DescribeLoadBalancers throttle x5, ...`. */
export function faultCounts(requests: readonly { readonly operation: string; readonly fault?: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) if (r.fault !== undefined) counts.set(`${r.operation} ${r.fault}`, (counts.get(`${r.operation} ${r.fault}`) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${what} x${n}`).join(', ') || 'none';
}

/** The value a target set up in `start`, or a clear error when a case runs without it. */
export function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started: the job's before hook did not finish`);
  return value;
}
