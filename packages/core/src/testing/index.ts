/** Test helpers for Sluice and provider authors: a fake clock, a recording provider, fixtures. */
export { FakeClock } from './fake-clock.ts';
export { RecordingProvider, type RecordedCall, type RecordingProviderOptions } from './recording-provider.ts';
export { GATE, pod, service, slice, type PodFixture } from './fixtures.ts';
