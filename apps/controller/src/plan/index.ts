/** `sluice plan`: what the controller would do now, without doing it. */

export { type ClusterSnapshot, ListCache, readCluster, snapshotOf } from './cluster-snapshot.ts';
export { decideService, type PlanOptions, planService, reportOf } from './plan-service.ts';
export type { PlanReport, ServicePlanStatus } from './plan-types.ts';
export { ReadOnlyViolationError, readOnlyProvider } from './read-only-provider.ts';
export { renderJson, renderText, summaryLine } from './render.ts';
export { type PlanIo, planCluster, planOptionsOf, runPlan } from './run-plan.ts';
