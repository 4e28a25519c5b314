/**
 * Test helpers for Sluice and provider authors: a fake clock, a recording provider, fixtures,
 * and the provider conformance suite.
 */
export {
  abortCase,
  annotated,
  type CaseContext,
  type CaseStatus,
  CONFORMANCE_CASES,
  type ConformanceCase,
  type ConformanceOptions,
  type ConformanceResult,
  type ConformanceRun,
  type ConformanceSubject,
  type ConformanceTarget,
  type ConformanceTestContext,
  type ConformanceTestFn,
  capabilitiesCase,
  conformanceTable,
  DEFAULT_CLUSTER,
  type DrainReport,
  deleteForeignCase,
  deleteIdempotentCase,
  drainCase,
  ensureIdempotentCase,
  errorsClassifiedCase,
  type FaultKind,
  type ForeignResource,
  nameCase,
  runCase,
  runConformance,
  subjectOf,
  type TableLayout,
  updateConvergesCase,
  validateCase,
} from './conformance/index.ts';
export { FakeClock } from './fake-clock.ts';
export { type ClusterWrite, type FakeCaches, FakeCluster, fakeCaches, MapCache } from './fake-cluster.ts';
export { GATE, type PodFixture, pod, service, slice } from './fixtures.ts';
export { providerWriteRows, type WriteRow, writesMatchPlan } from './plan-writes.ts';
export { backendAt, DEFAULT_SERVICE_PORT, fieldTaker, type LogLine, recordingLogger, type ServiceViewFixture, serviceView } from './provider-fixtures.ts';
export { type RecordedCall, RecordingProvider, type RecordingProviderOptions } from './recording-provider.ts';
