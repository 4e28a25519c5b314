/**
 * @sluice/dataplane: an L4 TCP load-balancing engine whose vendor semantics (health checks
 * and their timing, registration latency, drain modes, fail-open, firewall rules, source
 * ranges, client IP and PROXY headers, time scale) are configuration. Used in-process
 * (`createEngine`) or as a separate process (`sluice-dataplane`, `startDataPlaneProcess`)
 * programmed over a control API (`connectDataPlane`); both are a {@link DataPlane}.
 */

export {
  type Address,
  type AddressFamily,
  type AddressRange,
  formatAddress,
  hostPort,
  nonUnicastKind,
  type ParseRangeOptions,
  parseAddress,
  parseRange,
  rangeContains,
} from './address-range.ts';
export { connectDataPlane, type DataPlaneClient, type DataPlaneClientOptions } from './control/client.ts';
export { type DataPlaneProcess, type StartDataPlaneProcessOptions, startDataPlaneProcess } from './control/process.ts';
export { type ControlServer, type ControlServerOptions, serveControlApi } from './control/server.ts';
export type {
  DataPlane,
  DataPlaneState,
  ListenerState,
  StateScope,
  TargetGroupState,
  TargetHealth,
  TargetHealthReason,
  TargetHealthState,
} from './data-plane.ts';
export { createEngine, type DataPlaneEngine, type EngineOptions } from './engine.ts';
export {
  ConflictError,
  ControlApiError,
  DataPlaneError,
  type DataPlaneErrorOptions,
  InvalidSpecError,
  isConflictError,
  isControlApiError,
  isDataPlaneError,
  isInvalidSpecError,
  isListenError,
  isNotFoundError,
  ListenError,
  NotFoundError,
} from './errors.ts';
export {
  evaluateFirewall,
  Firewall,
  type FirewallAction,
  type FirewallDirection,
  type FirewallMatch,
  type FirewallPolicy,
  type FirewallRule,
  type FirewallVerdict,
  type Flow,
  type FlowEndpoint,
  type ResolvedFirewallRule,
  resolveFirewallRule,
} from './firewall.ts';
export {
  type ConnectionEndpoints,
  encodeProxyHeader,
  type ParsedProxyHeader,
  PROXY_V2_SIGNATURE,
  type ProxyHeader,
  parseProxyHeader,
} from './proxy-protocol.ts';
export { HEALTH_CHECK_DEFAULTS, LISTENER_DEFAULTS, TARGET_GROUP_DEFAULTS } from './resolve.ts';
export type {
  AdminState,
  DrainSpec,
  HealthCheckSpec,
  ListenerSpec,
  ProxyProtocolVersion,
  ResolvedDrainSpec,
  ResolvedHealthCheckSpec,
  ResolvedListenerSpec,
  ResolvedTargetGroupSpec,
  ResolvedTargetSpec,
  ResolvedTrafficSource,
  TargetGroupSpec,
  TargetRef,
  TargetSpec,
  TrafficSource,
} from './spec.ts';
export type { DataPlaneStats, ListenerCounters, ListenerStats, TargetCounters, TargetStats } from './stats.ts';
export type { Logger, TimerHandle, Timers } from './timers.ts';
