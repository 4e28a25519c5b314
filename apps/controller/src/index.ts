/** The Sluice controller app as a library: flag parsing and composition, for embedding and tests. */
export { LOG_LEVELS, PROVIDERS, type LogLevel, type ParseResult, type ProviderName, type RunConfig, USAGE, parseFlags } from './flags.ts';
export { createJsonLogger } from './logger.ts';
export { ProviderLoadError, loadProvider } from './providers.ts';
export { StartError, loadKubeConfig, run } from './run.ts';
