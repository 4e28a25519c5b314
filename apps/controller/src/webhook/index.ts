/** The readiness-gate injection webhook (mutating admission of pods). */
export { type RunningWebhook, type WebhookOptions, listenIpAddresses, startWebhook } from './start-webhook.ts';
export { AdmissionReviewError, type MutateDecision, type MutateOptions, type MutateResult, type ServiceLookup, gatePatch, mutate } from './mutate.ts';
export { MUTATE_POD_PATH } from './admission-server.ts';
