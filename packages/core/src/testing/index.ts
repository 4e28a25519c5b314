/** Test helpers for Sluice and provider authors: a fake clock, a recording provider, fixtures. */
export { FakeClock } from './fake-clock.ts';
export { type ClusterWrite, type FakeCaches, FakeCluster, fakeCaches, MapCache } from './fake-cluster.ts';
export { GATE, type PodFixture, pod, service, slice } from './fixtures.ts';
export { providerWriteRows, type WriteRow, writesMatchPlan } from './plan-writes.ts';
export { type RecordedCall, RecordingProvider, type RecordingProviderOptions } from './recording-provider.ts';
