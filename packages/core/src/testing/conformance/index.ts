/**
 * The provider conformance suite: a table of cases, each one promise of the LoadBalancer
 * contract, run against any number of targets (one per provider, in-process fake or real
 * endpoint), printed as a case x provider table.
 */
export { CONFORMANCE_CASES } from './cases.ts';
export { deleteForeignCase, deleteIdempotentCase } from './cases-delete.ts';
export { abortCase, errorsClassifiedCase, validateCase } from './cases-failure.ts';
export { capabilitiesCase, drainCase, ensureIdempotentCase, nameCase, updateConvergesCase } from './cases-lifecycle.ts';
export { annotated, DEFAULT_CLUSTER, subjectOf } from './context.ts';
export { type ConformanceOptions, type ConformanceRun, type ConformanceTestContext, type ConformanceTestFn, runCase, runConformance } from './run.ts';
export { conformanceTable, type TableLayout } from './table.ts';
export type {
  CaseContext,
  CaseStatus,
  ConformanceCase,
  ConformanceResult,
  ConformanceSubject,
  ConformanceTarget,
  DrainReport,
  FaultKind,
  ForeignResource,
} from './types.ts';
