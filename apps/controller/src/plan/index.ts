/** `sluice plan`: what the controller would do now, without doing it. */
export type { ClusterAction, ProviderAction, ServicePlan, ServicePlanStatus } from './plan-types.ts';
export { ReadOnlyViolationError, readOnlyProvider } from './read-only-provider.ts';
export { type ClusterSnapshot, ListCache, readCluster, snapshotOf } from './cluster-snapshot.ts';
export { type PlanOptions, planService } from './plan-service.ts';
export { renderJson, renderText, summaryLine } from './render.ts';
export { type PlanIo, planCluster, planOptionsOf, runPlan } from './run-plan.ts';
