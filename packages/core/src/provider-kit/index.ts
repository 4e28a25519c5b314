/**
 * @sluice/core/provider-kit: what every cloud provider needs and none should write again.
 * The one injected clock and waits on it, the classification of a vendor's HTTP answers into
 * Sluice's typed errors (Retry-After included), vendor-sized batches with bounded concurrency,
 * and the keyed diff of desired against actual registrations. No cloud SDK is imported here.
 */
export { type Clock, systemClock } from '../queue/clock.ts';
export { type BatchFailure, type BatchOptions, type BatchResult, chunk, runBatches, throwFirstFailure } from './batches.ts';
export {
  classifyHttpFailure,
  type HttpFailure,
  type HttpFailureKind,
  httpFailureKind,
  isNetworkFailure,
  isThrottledError,
  NETWORK_ERROR_CODES,
  networkErrorCode,
  passThrough,
  type VendorProfile,
} from './http-failure.ts';
export { isLoopbackUrl, silentLogger } from './endpoints.ts';
export { type DiffOptions, type DiffPair, diffByKey, inSync, type KeyedDiff } from './keyed-diff.ts';
export { type HeaderSource, headerValue, parseRetryAfter, retryAfterMs } from './retry-after.ts';
export { providerClock, sleep } from './sleep.ts';
