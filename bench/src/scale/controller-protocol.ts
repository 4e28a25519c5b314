/**
 * Messages between a bench and the controller child it forks (controller-child.ts). Times
 * are epoch milliseconds with sub-millisecond precision (`performance.timeOrigin +
 * performance.now()`), comparable across the two processes.
 */

/** How the child builds its controller; passed as the first command-line argument (JSON). */
export interface ChildConfig {
  readonly kubeconfigPath: string;
  readonly provider: 'recording' | 'local';
  /** Controller `workers`. */
  readonly workers: number;
  /** Controller `resyncMs`. */
  readonly resyncMs: number;
  /** Controller `healthPollMs`. */
  readonly healthPollMs: number;
  /** Local provider health-check interval (ms). */
  readonly localHealthIntervalMs: number;
}

/** Write and read calls the controller made on its provider, since start. */
export interface ProviderCounts {
  /** First ensure of each Service's load balancer (creation). */
  ensureLoadBalancer: number;
  /**
   * Later ensures of an unchanged Service: the controller's periodic drift check (every
   * 5 minutes per Service, and the provider writes nothing when nothing drifted). Counted
   * apart so an idle resync that happens to meet one is not mistaken for a write.
   */
  reensureLoadBalancer: number;
  updateLoadBalancer: number;
  ensureLoadBalancerDeleted: number;
  getLoadBalancer: number;
  getBackendHealth: number;
}

export interface ChildMeasurement {
  readonly counts: ProviderCounts;
  /** Distinct Services the write calls were for. */
  readonly servicesWritten: number;
  /** Reconciles finished since start, and their summed duration. */
  readonly reconciles: number;
  readonly reconcileMs: number;
  /** Keys taken off the work queue, and their summed time waiting in it. */
  readonly dequeues: number;
  readonly queueWaitMs: number;
  /** Writes to the API server (gate patches, events, finalizers, Service status), and their summed duration. */
  readonly clusterWrites: number;
  readonly clusterWriteMs: number;
  readonly queueDepth: number;
  /** After a full GC. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** CPU time (user + system) since the process started. */
  readonly cpuMs: number;
  readonly warnings: number;
}

export type ChildMessage =
  | { readonly kind: 'ready'; readonly at: number; readonly startedAt: number }
  /** [pod UID, when the first write registering it (weight > 0) returned]. */
  | { readonly kind: 'registered'; readonly items: readonly (readonly [string, number])[] }
  /** [pod UID, when the gate True patch returned, the controller's own waitedMs]. */
  | { readonly kind: 'gate'; readonly items: readonly (readonly [string, number, number])[] }
  /** [pod UID, when the drain write returned, the controller's own latencyMs]. */
  | { readonly kind: 'drain'; readonly items: readonly (readonly [string, number, number])[] }
  | { readonly kind: 'measured'; readonly id: number; readonly measurement: ChildMeasurement }
  | { readonly kind: 'failed'; readonly error: string };

export type HostMessage = { readonly kind: 'measure'; readonly id: number } | { readonly kind: 'stop' };

/** Epoch milliseconds with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
