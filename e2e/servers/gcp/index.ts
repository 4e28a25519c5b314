export { type ComputeServer, type ComputeServerOptions, startComputeServer } from './compute-server.ts';
export type { ComputeState, NegView, NetworkSeed, SubnetworkSeed } from './compute-state.ts';
export type { StoredEndpoint } from './compute-context.ts';
export { type HealthState, PROBE_ALLOWED_PREFIXES } from './endpoint-health.ts';
export type { Faults, MethodMatch } from './faults.ts';
export type { OperationError, OperationTiming } from './operations.ts';
export { type CheckedMethod, loadProtoChecker, type ProtoChecker } from './proto-check.ts';
export type { LoggedRequest, RequestLog } from './request-log.ts';
export { MAX_ENDPOINTS_PER_CALL } from './routes-negs.ts';
