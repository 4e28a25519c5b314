/**
 * What `sluice plan` reports for one Service: the core's {@link ServicePlan} (the very value a
 * reconcile executes) seen as the list of writes it makes, in order, and the events it
 * records. Plain data, so the text and JSON renderings are views of the same thing.
 */
import type { PlanRow } from '@sluice/core';

export type ServicePlanStatus = 'changes' | 'in-sync' | 'error';

export interface PlanReport {
  /** `namespace/name`. */
  readonly service: string;
  /** The provider's name for the Service's LB. */
  readonly loadBalancer: string;
  readonly status: ServicePlanStatus;
  /** With status `error`: the sentence(s) a reconcile reports; nothing is created or changed. */
  readonly error?: string;
  /** In order: every write a reconcile would make now (load balancer and cluster). */
  readonly writes: readonly PlanRow[];
  /** Events a reconcile would record, as `Type Reason kind/namespace/name: message`. */
  readonly events: readonly string[];
  /** When a reconcile would look again: `done`, `requeue after N ms (why)`, or `terminal`. */
  readonly next: string;
}
