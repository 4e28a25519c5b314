/**
 * @sluice/provider-local: the embedded default provider, an in-process weighted L4 TCP
 * load balancer with drain-by-weight, active health checks and invisible connect retries.
 */
import { LocalLoadBalancer } from './local-load-balancer.ts';
import type { LocalProviderOptions } from './options.ts';

export { loadBalancerName, maxLoadBalancerNameLength } from './load-balancer-name.ts';
export { LocalLoadBalancer } from './local-load-balancer.ts';
export type { LocalProviderOptions, TimerHandle, Timers } from './options.ts';
export type { ListenAddress } from './port-listener.ts';

/** Creates the local provider. Nothing is opened until the first ensureLoadBalancer. */
export function createLocalProvider(options: LocalProviderOptions = {}): LocalLoadBalancer {
  return new LocalLoadBalancer(options);
}
