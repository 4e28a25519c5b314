/** The Sluice controller app as a library: flag parsing and composition, for embedding and tests. */
export { LOG_LEVELS, type LogLevel, type ParseResult, PROVIDERS, type ProviderName, type ProviderOptions, parseFlags, type RunConfig, USAGE } from './flags.ts';
export { createJsonLogger } from './logger.ts';
export { createMetrics } from './metrics.ts';
export { type PlanReport, runPlan } from './plan/index.ts';
export { loadProvider, ProviderLoadError } from './providers.ts';
export { loadKubeConfig, run, StartError } from './run.ts';
export { parsePemBundle } from './webhook/ca-bundle.ts';
export { createCertificateAuthority, issueServingCertificate } from './webhook/certificates.ts';
export { MUTATE_POD_PATH, type RunningWebhook, startWebhook } from './webhook/index.ts';
