export * from './load.ts';
export { startLoadInNamespace } from './namespace-load.ts';
export { DEFAULT_SOURCE, type LoadSource } from './sources.ts';
export type { LatencySummary, SourceResult } from './source-results.ts';
