/** The readiness-gate injection webhook (mutating admission of pods). */

export { MUTATE_POD_PATH } from './admission-server.ts';
export { AdmissionReviewError, gatePatch, type MutateDecision, type MutateOptions, type MutateResult, mutate, type ServiceLookup } from './mutate.ts';
export { listenIpAddresses, type RunningWebhook, startWebhook, type WebhookOptions } from './start-webhook.ts';
