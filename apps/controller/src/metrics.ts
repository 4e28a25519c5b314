/**
 * Prometheus metrics for the controller, on a registry of its own (no global state):
 * reconciles, the work queue, provider calls, backends by health, the readiness-gate wait
 * and the drain latency, and leadership.
 */
import { type BackendHealthState, type CallOutcome, type ControllerObserver, countStates, type ProviderOperation, type ReconcileObserver, WRITE_OPERATIONS } from '@sluice/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const RECONCILE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const GATE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
const DRAIN_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ControllerMetrics {
  readonly registry: Registry;
  /** Hooks for the Controller and Reconciler. */
  readonly observer: ReconcileObserver & ControllerObserver;
  /** For instrumentProvider. */
  onProviderCall(operation: ProviderOperation, outcome: CallOutcome, durationMs: number, service?: string): void;
  onBackends(service: string, counts: Readonly<Record<BackendHealthState, number>> | undefined): void;
  setLeader(leading: boolean): void;
  /** Text exposition for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  readonly provider: string;
  /** Current work-queue depth, read at scrape time. */
  readonly queueDepth: () => number;
  /** Process metrics (CPU, memory, event loop lag, GC). @default true */
  readonly processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions): ControllerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ provider: options.provider });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  const reconciles = new Counter({ name: 'sluice_reconcile_total', help: 'Service reconciles by result (done, requeue, retry, terminal, crash).', labelNames: ['result'], registers: [registry] });
  const reconcileSeconds = new Histogram({ name: 'sluice_reconcile_duration_seconds', help: 'Time of one Service reconcile, by result.', labelNames: ['result'], buckets: RECONCILE_BUCKETS, registers: [registry] });
  new Gauge({
    name: 'sluice_workqueue_depth',
    help: 'Service keys waiting in the work queue.',
    registers: [registry],
    collect() {
      this.set(options.queueDepth());
    },
  });
  const queueWait = new Histogram({ name: 'sluice_workqueue_wait_seconds', help: 'Time a Service key waited in the work queue before a worker took it.', buckets: RECONCILE_BUCKETS, registers: [registry] });
  const calls = new Counter({ name: 'sluice_provider_calls_total', help: 'Load-balancer provider calls by operation and outcome (ok, retryable, throttled, terminal, fenced).', labelNames: ['operation', 'outcome'], registers: [registry] });
  const serviceCalls = new Counter({
    name: 'sluice_service_provider_calls_total',
    help: "Load-balancer provider calls per Service, reads (getLoadBalancer, getBackendHealth) and writes apart: one Service's share of the cloud's API budget.",
    labelNames: ['namespace', 'service', 'kind'],
    registers: [registry],
  });
  const drainsMissed = new Counter({
    name: 'sluice_drains_missed_total',
    help: 'Backends removed from a load balancer without ever being drained because their pod was gone or had exited first (deleted with no grace period, or faster than Sluice saw it): open connections may have been cut.',
    registers: [registry],
  });
  const callSeconds = new Histogram({ name: 'sluice_provider_call_duration_seconds', help: 'Load-balancer provider call latency by operation.', labelNames: ['operation'], buckets: CALL_BUCKETS, registers: [registry] });
  const perService = new Map<string, Readonly<Record<BackendHealthState, number>>>();
  new Gauge({
    name: 'sluice_backends',
    help: 'Backends on the load balancers by health state, as last read from the provider or left by Sluice\'s own writes since.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const sums: Record<BackendHealthState, number> = { initial: 0, healthy: 0, unhealthy: 0, draining: 0, unused: 0 };
      for (const counts of perService.values()) for (const state of Object.keys(sums) as BackendHealthState[]) sums[state] += counts[state];
      for (const [state, n] of Object.entries(sums)) this.set({ state }, n);
    },
  });
  const gateWait = new Histogram({ name: 'sluice_readiness_gate_wait_seconds', help: "Time from a pod's containers ready to its readiness gate condition True.", buckets: GATE_BUCKETS, registers: [registry] });
  const gateStuck = new Counter({ name: 'sluice_readiness_gate_stuck_total', help: 'Pods whose gate did not pass within sluice.dev/readiness-gate-timeout.', registers: [registry] });
  const drain = new Histogram({ name: 'sluice_drain_latency_seconds', help: "Time from a pod's deletionTimestamp to its drain applied on the load balancer.", buckets: DRAIN_BUCKETS, registers: [registry] });
  const leader = new Gauge({ name: 'sluice_leader', help: '1 while this replica holds the leader Lease (or runs without leader election), else 0.', registers: [registry] });
  leader.set(0);

  return {
    registry,
    observer: {
      gatePassed: (_pod, waitedMs) => gateWait.observe(Math.max(0, waitedMs) / 1000),
      drainApplied: (_pod, latencyMs) => drain.observe(Math.max(0, latencyMs) / 1000),
      gateStuck: () => gateStuck.inc(),
      drainMissed: () => drainsMissed.inc(),
      // Between health reads the gauge follows Sluice's own writes (registrations initial, drains draining, removals gone).
      backendsWritten: (service, statuses) => perService.set(service, countStates(statuses)),
      dequeued: (waitedMs) => queueWait.observe(Math.max(0, waitedMs) / 1000),
      reconciled: (result, durationMs) => {
        reconciles.inc({ result });
        reconcileSeconds.observe({ result }, Math.max(0, durationMs) / 1000);
      },
    },
    onProviderCall(operation, outcome, durationMs, service) {
      calls.inc({ operation, outcome });
      if (service !== undefined && outcome !== 'fenced') {
        const [namespace = '', name = ''] = service.split('/');
        serviceCalls.inc({ namespace, service: name, kind: WRITE_OPERATIONS.has(operation) ? 'write' : 'read' });
      }
      if (outcome !== 'fenced') callSeconds.observe({ operation }, Math.max(0, durationMs) / 1000);
    },
    onBackends(service, counts) {
      if (counts) perService.set(service, counts);
      else perService.delete(service);
    },
    setLeader(leading) {
      leader.set(leading ? 1 : 0);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
