/**
 * Wraps a provider so every call is measured and every write is fenced: while this replica
 * is not allowed to write (it lost, or never held, the leader Lease), ensure / update /
 * delete fail before reaching the cloud. The fence is the second line of defence; the
 * first is that a replica that loses the Lease aborts its reconciles at once.
 */
import { isRetryableError, isTerminalError, RetryableError } from '../errors.ts';
import type { BackendHealthState, BackendStatus, LoadBalancer } from '../provider.ts';
import type { Clock } from '../queue/clock.ts';
import { systemClock } from '../queue/clock.ts';

export type ProviderOperation = 'getLoadBalancer' | 'ensureLoadBalancer' | 'updateLoadBalancer' | 'ensureLoadBalancerDeleted' | 'getBackendHealth';
/** `throttled`: a retryable error whose reason ends in `Throttled` (every provider names the cloud's throttling so). */
export type CallOutcome = 'ok' | 'retryable' | 'throttled' | 'terminal' | 'fenced';

export const WRITE_OPERATIONS: ReadonlySet<ProviderOperation> = new Set(['ensureLoadBalancer', 'updateLoadBalancer', 'ensureLoadBalancerDeleted']);

export interface ProviderInstrumentation {
  /** After every call, with its duration and the Service it was for (`namespace/name`). */
  onCall?(operation: ProviderOperation, outcome: CallOutcome, durationMs: number, service: string): void;
  /** After every health read: the Service ("ns/name") and its backends by health state; undefined after deletion. */
  onBackends?(service: string, counts: Readonly<Record<BackendHealthState, number>> | undefined): void;
  /** Writes are allowed only while this returns true. @default always */
  canWrite?(): boolean;
  /** @default systemClock */
  clock?: Clock;
}

/** Thrown instead of a write made by a replica that does not hold the leader Lease. */
export class NotLeaderError extends RetryableError {
  override name = 'NotLeaderError';
}

/** How many of `statuses` are in each health state. */
export function countStates(statuses: readonly BackendStatus[]): Record<BackendHealthState, number> {
  const counts: Record<BackendHealthState, number> = { initial: 0, healthy: 0, unhealthy: 0, draining: 0, unused: 0 };
  for (const s of statuses) counts[s.health]++;
  return counts;
}

export function instrumentProvider(provider: LoadBalancer, instrumentation: ProviderInstrumentation): LoadBalancer {
  const clock = instrumentation.clock ?? systemClock;
  const timed = async <T>(operation: ProviderOperation, view: { readonly namespace: string; readonly name: string }, call: () => Promise<T>): Promise<T> => {
    const service = `${view.namespace}/${view.name}`;
    if (WRITE_OPERATIONS.has(operation) && instrumentation.canWrite && !instrumentation.canWrite()) {
      instrumentation.onCall?.(operation, 'fenced', 0, service);
      throw new NotLeaderError(`${operation} refused: this replica does not hold the leader lease`);
    }
    const started = clock.now();
    try {
      const result = await call();
      instrumentation.onCall?.(operation, 'ok', clock.now() - started, service);
      return result;
    } catch (error) {
      const outcome: CallOutcome = isTerminalError(error) ? 'terminal' : isRetryableError(error) && error.reason.endsWith('Throttled') ? 'throttled' : 'retryable';
      instrumentation.onCall?.(operation, outcome, clock.now() - started, service);
      throw error;
    }
  };
  const wrapped: LoadBalancer = {
    providerName: provider.providerName,
    capabilities: provider.capabilities,
    getLoadBalancerName: (cluster, service) => provider.getLoadBalancerName(cluster, service),
    getLoadBalancer: (cluster, service, signal) => timed('getLoadBalancer', service, () => provider.getLoadBalancer(cluster, service, signal)),
    ensureLoadBalancer: (cluster, service, backends, signal) => timed('ensureLoadBalancer', service, () => provider.ensureLoadBalancer(cluster, service, backends, signal)),
    updateLoadBalancer: (cluster, service, backends, signal) => timed('updateLoadBalancer', service, () => provider.updateLoadBalancer(cluster, service, backends, signal)),
    ensureLoadBalancerDeleted: async (cluster, service, signal) => {
      await timed('ensureLoadBalancerDeleted', service, () => provider.ensureLoadBalancerDeleted(cluster, service, signal));
      instrumentation.onBackends?.(`${service.namespace}/${service.name}`, undefined);
    },
    getBackendHealth: async (cluster, service, signal) => {
      const statuses = await timed('getBackendHealth', service, () => provider.getBackendHealth(cluster, service, signal));
      instrumentation.onBackends?.(`${service.namespace}/${service.name}`, countStates(statuses));
      return statuses;
    },
  };
  if (provider.validate) wrapped.validate = (service) => provider.validate!(service);
  if (provider.close) wrapped.close = () => provider.close!();
  return wrapped;
}
