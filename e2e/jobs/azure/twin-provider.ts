/**
 * The azure provider under the testbed's rollout scenario: `start()` brings up the ARM test
 * server with the Standard load balancer twin's data plane (public IPs on loopback, rules
 * served, probes at the profile's interval and threshold, time-scaled), seeds the resource
 * group and the pods' virtual network (the pod network's range), and returns the controller
 * flags and environment that point `sluice --provider azure` at it with the real SDK.
 */
import { randomUUID } from 'node:crypto';
import type { Environment, ProviderBackend, ProviderUnderTest, TimingProfile } from '@sluice/testbed/scenario';
import { type ArmServer, type ArmServerOptions, armCallBudget, type JsonObject, startArmServer } from '../../servers/azure/index.ts';

export const TWIN_RESOURCE_GROUP = 'sluice-rollout';
export const TWIN_LOCATION = 'westeurope';
/** The network security group of the pods' subnet. */
export const TWIN_NSG = 'pods-nsg';

/** An operator's rule opening every port of the pods to the Internet (for runs where Sluice writes no NSG rule). */
export const ALLOW_INTERNET_RULE = {
  name: 'operator-allow-internet',
  properties: { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 4000, sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '*' },
};

/** What one start brought up, for a job that looks inside. */
export interface AzureTwin {
  readonly arm: ArmServer;
  readonly subscriptionId: string;
  readonly virtualNetworkId: string;
}

export interface AzureTwinProviderOptions {
  /** The ARM server's options beside the data plane (rate limits, faults...). @default none */
  readonly server?: Omit<ArmServerOptions, 'dataPlane'>;
  /** Controller flags beside the provider's. @default none */
  readonly controllerArgs?: readonly string[];
  /** Called once the twin is up, before the controller starts (seed NSGs, ...). */
  readonly seed?: (twin: AzureTwin) => void | Promise<void>;
  /** Rules the operator put in the pods' network security group beforehand. @default none: Azure's default rules only */
  readonly nsgRules?: readonly JsonObject[];
  /** The controller's --health-poll-ms. @default half the scaled probe interval */
  readonly healthPollMs?: number;
  /** Extra controller environment. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/** Why the twin cannot run `profile` (one sentence), or undefined. */
export function azureRefuses(profile: TimingProfile): string | undefined {
  if (profile.drain.kind !== 'admin-down') return `drain.kind is ${profile.drain.kind}: an Azure Standard load balancer drains by adminState Down (admin-down).`;
  if (profile.registrationLatencyMs !== 0) return `registrationLatencyMs is ${profile.registrationLatencyMs}: the twin probes a new pool address at once (0).`;
  if (profile.healthyThreshold !== profile.unhealthyThreshold || profile.healthyThreshold < 1 || profile.healthyThreshold > 10) {
    return `healthyThreshold/unhealthyThreshold are ${profile.healthyThreshold}/${profile.unhealthyThreshold}: Azure's probeThreshold (1-10) counts both ways, so they must be equal.`;
  }
  if (profile.healthIntervalMs % 1000 !== 0 || profile.healthIntervalMs < 5000 || profile.healthIntervalMs > 300_000) {
    return `healthIntervalMs is ${profile.healthIntervalMs}: an Azure probe interval is a whole number of seconds from 5 to 300.`;
  }
  if (profile.healthTimeoutMs !== profile.healthIntervalMs) {
    return `healthTimeoutMs is ${profile.healthTimeoutMs}: an Azure probe has no timeout of its own (the twin's is the interval, ${profile.healthIntervalMs}).`;
  }
  return undefined;
}

export function azureTwinProvider(options: AzureTwinProviderOptions = {}): ProviderUnderTest & { twin(): AzureTwin | undefined } {
  let current: AzureTwin | undefined;
  return {
    name: 'azure',
    refuses: azureRefuses,
    twin: () => current,
    async start(env: Environment, profile: TimingProfile): Promise<ProviderBackend> {
      const arm = await startArmServer({ retryAfterSeconds: 0, operations: { durationMs: 150 }, ...options.server, dataPlane: { timeScale: profile.timeScale } });
      try {
        const subscriptionId = randomUUID();
        arm.state.createResourceGroup(subscriptionId, TWIN_RESOURCE_GROUP, TWIN_LOCATION);
        // The pods' subnet carries a network security group, as AKS node subnets do: with only Azure's
        // default rules (and whatever `seed` adds) client flows are dropped and probes pass.
        const nsg = arm.state.createNetworkSecurityGroup(subscriptionId, TWIN_RESOURCE_GROUP, TWIN_NSG, options.nsgRules ?? []);
        const vnet = arm.state.createVirtualNetwork(subscriptionId, TWIN_RESOURCE_GROUP, 'pods', env.network.cidr, {
          subnets: [{ name: 'pods', addressPrefix: env.network.cidr, networkSecurityGroupId: String(nsg['id']) }],
        });
        current = { arm, subscriptionId, virtualNetworkId: String(vnet['id']) };
        await options.seed?.(current);
        // The gate reads health twice per (scaled) probe interval: a probe result is seen within half an interval.
        const pollMs = options.healthPollMs ?? Math.max(50, Math.round((profile.healthIntervalMs * profile.timeScale) / 2));
        return {
          controllerArgs: ['--cluster-name', 'rollout', '--health-poll-ms', String(pollMs), ...(options.controllerArgs ?? [])],
          controllerEnv: {
            ...arm.env,
            AZURE_SUBSCRIPTION_ID: subscriptionId,
            AZURE_RESOURCE_GROUP: TWIN_RESOURCE_GROUP,
            AZURE_LOCATION: TWIN_LOCATION,
            AZURE_VNET_ID: current.virtualNetworkId,
            // Operations here take 150 ms: poll them just after that, once each (the SDK's default is 2 s).
            AZURE_POLL_INTERVAL_MS: '200',
            SLUICE_AZURE_PROBE_INTERVAL: String(profile.healthIntervalMs / 1000),
            SLUICE_AZURE_PROBE_THRESHOLD: String(profile.healthyThreshold),
            ...options.env,
          },
          cloudCalls: () => {
            const { reads, writes, polls } = armCallBudget(arm.requests.entries());
            return { reads, writes, polls };
          },
          stop: async () => {
            current = undefined;
            await arm.stop();
          },
        };
      } catch (e) {
        await arm.stop();
        throw e;
      }
    },
  };
}
