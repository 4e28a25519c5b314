/**
 * @sluice/provider-local: the embedded default provider, a weighted L4 TCP load balancer per
 * Service with drain-by-weight, active health checks and invisible connect retries, on the
 * Sluice data plane (`@sluice/dataplane`): in its own process by default, so the load
 * balancers outlive the controller, or inside the controller's process.
 */
import { LocalLoadBalancer } from './local-load-balancer.ts';
import type { LocalProviderOptions } from './options.ts';

export { loadBalancerName, maxLoadBalancerNameLength } from './load-balancer-name.ts';
export { type ListenAddress, LocalLoadBalancer } from './local-load-balancer.ts';
export { DATA_PLANE_MODES, type DataPlaneMode, defaultDataPlaneSocket, type LocalProviderOptions, type TimerHandle, type Timers } from './options.ts';

/** Creates the local provider. Nothing is opened, connected to or started until the first call. */
export function createLocalProvider(options: LocalProviderOptions = {}): LocalLoadBalancer {
  return new LocalLoadBalancer(options);
}
