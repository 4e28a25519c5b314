/**
 * The plan of one Service: the reads a reconcile makes (caches, then the provider's read-only
 * calls), handed to the core's own {@link decide}. No decision is made here; this file only
 * reads, and turns the resulting ServicePlan into a {@link PlanReport}.
 *
 * It answers for a controller that starts now: its memory is empty (no registrations of its
 * own, no drift check due), which is exactly what a restart or a new leader sees.
 */
import type * as k8s from '@kubernetes/client-node';
import {
  type Caches,
  type DecideInput,
  decide,
  isHandled,
  isTerminalError,
  type LoadBalancer,
  planEvents,
  planRows,
  readClusterState,
  type ServicePlan,
  toServiceView,
} from '@sluice/core';
import { describeError } from './describe-error.ts';
import type { PlanReport } from './plan-types.ts';

export interface PlanOptions {
  readonly clusterName: string;
  /** Sluice's class. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string;
  /** Unclassed Services are handled too. @default false */
  readonly handleUnclassed?: boolean;
  readonly gateConditionType: string;
  /** As the controller's --no-readiness-gate. @default true */
  readonly gate?: boolean;
  /** As the controller's --no-drain. @default true */
  readonly drain?: boolean;
}

/** Reads what a reconcile reads and returns the core's plan for the Service. */
export async function decideService(service: k8s.V1Service, caches: Caches, provider: LoadBalancer, options: PlanOptions, signal: AbortSignal, now = Date.now()): Promise<ServicePlan> {
  const state = readClusterState(caches, service, options.loadBalancerClass, options.handleUnclassed ?? false);
  const view = toServiceView(service).view;
  const base: Omit<DecideInput, 'health'> = {
    service,
    ...state,
    provider,
    memory: {},
    now,
    options: {
      clusterName: options.clusterName,
      ...(options.loadBalancerClass ? { loadBalancerClass: options.loadBalancerClass } : {}),
      handleUnclassed: options.handleUnclassed ?? false,
      gateConditionType: options.gateConditionType,
      gate: options.gate ?? true,
      drain: options.drain ?? true,
    },
  };
  const lookup = await provider.getLoadBalancer(options.clusterName, view, signal);
  const leaving = Boolean(service.metadata?.deletionTimestamp) || !isHandled(service, options.loadBalancerClass, options.handleUnclassed ?? false);
  const health = lookup.exists && !leaving ? await provider.getBackendHealth(options.clusterName, view, signal) : [];
  return decide({ ...base, lb: { kind: 'read', lookup }, health });
}

/** The plan as `sluice plan` reports it. */
export function reportOf(plan: ServicePlan): PlanReport {
  const writes = planRows(plan);
  const next = plan.next.kind === 'requeue' ? `requeue after ${plan.next.afterMs} ms (${plan.next.why})` : plan.next.kind;
  return {
    service: plan.key,
    loadBalancer: plan.loadBalancer,
    status: plan.mode === 'invalid' ? 'error' : writes.length > 0 ? 'changes' : 'in-sync',
    ...(plan.mode === 'invalid' ? { error: plan.problems.map((p) => p.message).join(' ') } : {}),
    writes,
    events: planEvents(plan),
    next,
  };
}

/**
 * The report of one Service, or undefined when a reconcile would leave it alone (not handled
 * and not carrying Sluice's finalizer).
 */
export async function planService(service: k8s.V1Service, caches: Caches, provider: LoadBalancer, options: PlanOptions, signal: AbortSignal): Promise<PlanReport | undefined> {
  const key = `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
  const view = toServiceView(service).view;
  try {
    const plan = await decideService(service, caches, provider, options, signal);
    return plan.mode === 'ignore' ? undefined : reportOf(plan);
  } catch (error) {
    if (signal.aborted) throw error;
    const message = isTerminalError(error) ? describeError(error) : `cannot read the load balancer: ${describeError(error)}`;
    return { service: key, loadBalancer: provider.getLoadBalancerName(options.clusterName, view), status: 'error', error: message, writes: [], events: [], next: 'retry' };
  }
}
