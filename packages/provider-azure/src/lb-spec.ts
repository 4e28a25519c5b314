/**
 * The load balancer a Service should have, as an SDK body, and the comparison that decides
 * whether it must be written. Pure.
 *
 * Per Service port `<name>`: a backend pool `<name>`, a TCP probe `<name>` on the backend
 * port, and a rule `<name>` from the Service port on the one frontend to the backend port
 * of the pool's addresses. Pools are compared by name only: their addresses are converged
 * separately (pool PUTs with If-Match), and a load balancer PUT carries each existing
 * pool's addresses as they are, so it never changes them.
 */
import type { LoadBalancer as AzureLb, BackendAddressPool, FrontendIPConfiguration, LoadBalancingRule, Probe } from '@azure/arm-network';
import type { ServicePortView } from '@sluice/core';
import type { AzureServiceSettings } from './annotations.ts';
import { childId, FRONTEND_NAME } from './names.ts';
import { writableAddress } from './pool-spec.ts';
import { hasTags } from './tags.ts';

/** One Service port as the load balancer carries it. */
export interface PortSpec {
  readonly name: string;
  /** The name of the port's pool, probe and rule in Azure: the port name, prefixed in a shared load balancer. */
  readonly child: string;
  readonly protocol: 'Tcp' | 'Udp';
  readonly frontendPort: number;
  readonly backendPort: number;
}

/** Where the frontend's IP comes from: a public IP resource, or a subnet (private). */
export type FrontendTarget = { readonly publicIpId: string } | { readonly subnetId: string };

export interface LoadBalancerInput {
  readonly lbId: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly frontend: FrontendTarget;
  readonly ports: readonly PortSpec[];
  readonly settings: Pick<AzureServiceSettings, 'probeIntervalSeconds' | 'probeThreshold' | 'idleTimeoutMinutes'>;
  /** The load balancer as it is now, when it exists: its pools keep their addresses and its foreign tags stay. */
  readonly current?: AzureLb | undefined;
  /** The frontend IP configuration's name. @default `frontend` */
  readonly frontendName?: string;
}

/**
 * The backend port of each Service port: the one its backends use, else a numeric
 * targetPort, else what the rule has now, else the Service port itself (a named targetPort
 * with no backends yet; the hot path converges the rule once backends arrive).
 */
export function portSpecs(ports: readonly ServicePortView[], backendPorts: ReadonlyMap<string, number>, current: AzureLb | undefined, childPrefix = ''): PortSpec[] {
  return ports.map((p) => {
    const child = `${childPrefix}${p.name}`;
    const existing = current?.loadBalancingRules?.find((r) => r.name === child)?.backendPort;
    const backendPort = backendPorts.get(p.name) ?? (typeof p.targetPort === 'number' ? p.targetPort : undefined) ?? existing ?? p.port;
    return { name: p.name, child, protocol: p.protocol === 'UDP' ? 'Udp' : 'Tcp', frontendPort: p.port, backendPort };
  });
}

function frontendConfig(target: FrontendTarget, name: string): FrontendIPConfiguration {
  return 'publicIpId' in target
    ? { name, publicIPAddress: { id: target.publicIpId } }
    : { name, subnet: { id: target.subnetId }, privateIPAllocationMethod: 'Dynamic' };
}

function probe(port: PortSpec, input: LoadBalancerInput): Probe {
  return {
    name: port.child,
    protocol: 'Tcp',
    port: port.backendPort,
    intervalInSeconds: input.settings.probeIntervalSeconds,
    probeThreshold: input.settings.probeThreshold,
  };
}

function rule(port: PortSpec, input: LoadBalancerInput): LoadBalancingRule {
  return {
    name: port.child,
    protocol: port.protocol,
    frontendPort: port.frontendPort,
    backendPort: port.backendPort,
    frontendIPConfiguration: { id: childId(input.lbId, 'frontendIPConfigurations', input.frontendName ?? FRONTEND_NAME) },
    backendAddressPool: { id: childId(input.lbId, 'backendAddressPools', port.child) },
    probe: { id: childId(input.lbId, 'probes', port.child) },
    enableFloatingIP: false,
    disableOutboundSnat: true,
    // TCP reset and the idle timeout are TCP settings; UDP rules leave them to Azure.
    ...(port.protocol === 'Tcp' ? { enableTcpReset: true, idleTimeoutInMinutes: input.settings.idleTimeoutMinutes } : {}),
  };
}

function pool(port: PortSpec, input: LoadBalancerInput): BackendAddressPool {
  const existing = input.current?.backendAddressPools?.find((p) => p.name === port.child);
  return {
    name: port.child,
    loadBalancerBackendAddresses: (existing?.loadBalancerBackendAddresses ?? []).map(writableAddress),
    ...(existing?.drainPeriodInSeconds !== undefined ? { drainPeriodInSeconds: existing.drainPeriodInSeconds } : {}),
  };
}

/** The whole load balancer body for a PUT. */
export function desiredLoadBalancer(input: LoadBalancerInput): AzureLb {
  return {
    // A load balancer cannot move: an existing one keeps its region.
    location: input.current?.location ?? input.location,
    tags: { ...(input.current?.tags ?? {}), ...input.tags },
    sku: { name: 'Standard', tier: 'Regional' },
    frontendIPConfigurations: [frontendConfig(input.frontend, input.frontendName ?? FRONTEND_NAME)],
    backendAddressPools: input.ports.map((p) => pool(p, input)),
    probes: input.ports.map((p) => probe(p, input)),
    loadBalancingRules: input.ports.map((p) => rule(p, input)),
  };
}

const lower = (id: string | undefined) => id?.toLowerCase();
const byName = <T extends { name?: string | undefined }>(items: readonly T[] | undefined): T[] =>
  [...(items ?? [])].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));

/** The fields Sluice sets, in a form two load balancers can be compared by. */
export function canonical(lb: AzureLb): unknown {
  return {
    sku: lb.sku?.name,
    frontends: byName(lb.frontendIPConfigurations).map((f) => ({
      name: f.name,
      publicIp: lower(f.publicIPAddress?.id),
      subnet: lower(f.subnet?.id),
    })),
    pools: byName(lb.backendAddressPools).map((p) => p.name),
    probes: byName(lb.probes).map((p) => ({
      name: p.name,
      protocol: p.protocol,
      port: p.port,
      interval: p.intervalInSeconds,
      threshold: p.probeThreshold,
      requestPath: p.requestPath,
    })),
    rules: byName(lb.loadBalancingRules).map((r) => ({
      name: r.name,
      protocol: r.protocol,
      frontendPort: r.frontendPort,
      backendPort: r.backendPort,
      frontend: lower(r.frontendIPConfiguration?.id),
      pool: lower(r.backendAddressPool?.id),
      probe: lower(r.probe?.id),
      floatingIp: r.enableFloatingIP === true,
      outboundSnatDisabled: r.disableOutboundSnat === true,
      tcpReset: r.protocol === 'Tcp' ? r.enableTcpReset === true : undefined,
      idleTimeout: r.protocol === 'Tcp' ? r.idleTimeoutInMinutes : undefined,
    })),
  };
}

/** True when `current` already is `desired` in everything Sluice sets (tags: Sluice's own only). */
export function loadBalancerMatches(current: AzureLb, desired: AzureLb): boolean {
  if (!hasTags(current.tags, desired.tags ?? {})) return false;
  return JSON.stringify(canonical(current)) === JSON.stringify(canonical(desired));
}

/** The frontend's private IP (internal load balancers), when Azure has assigned one. */
export function privateFrontendIp(lb: AzureLb | undefined, frontendName = FRONTEND_NAME): string | undefined {
  return lb?.frontendIPConfigurations?.find((f) => f.name === frontendName)?.privateIPAddress;
}

/** The public IP resource the frontend uses, if any. */
export function frontendPublicIpId(lb: AzureLb | undefined, frontendName = FRONTEND_NAME): string | undefined {
  return lb?.frontendIPConfigurations?.find((f) => f.name === frontendName)?.publicIPAddress?.id;
}
