/**
 * What the azure provider checks once at start, each failure one sentence a person can act on:
 * - the pods' addresses lie in the configured virtual network: an IP-based backend pool takes
 *   only addresses of its virtual network ("Backend pool management: Configure backend pool by
 *   IP address and virtual network"); with a CNI overlay (Azure CNI Overlay, kubenet) pod IPs
 *   come from an overlay range and cannot be backends;
 * - the load-balancing-rule health report answers: every readiness gate waits for it. It is
 *   asked about a rule that does not exist: 404 means it answers (and Sluice may call it);
 * - the network security group (with --azure-nsg) exists, can be read, and the identity may
 *   write and delete security rules in it: its permissions there, as Azure lists them
 *   (permissions.ts), grant both; a rule Sluice cannot write leaves clients dropped while the
 *   probes, which the group's default rules allow, open every gate.
 */
import type { ServiceProblem, StartupContext } from '@sluice/core';
import type { AzureApi } from './azure-api.ts';
import { azureErrorCode, httpStatus, isNotFound } from './errors.ts';
import { parseResourceId } from './lookup.ts';
import type { NsgWriter } from './nsg-sync.ts';
import { missingActions } from './permissions.ts';

/** What Sluice does in the network security group: its own rules, written and deleted one by one. */
export const NSG_RULE_ACTIONS = ['Microsoft.Network/networkSecurityGroups/securityRules/write', 'Microsoft.Network/networkSecurityGroups/securityRules/delete'] as const;

/** A load balancer name no one uses: the health report is asked about its rule to see that the API answers. */
export const PROBE_LOAD_BALANCER = 'sluice-startup-check-absent';

const cause = (error: unknown) => (error instanceof Error && error.cause !== undefined ? error.cause : error);
const codeOf = (error: unknown) => azureErrorCode(cause(error)) ?? azureErrorCode(error) ?? (httpStatus(error) !== undefined ? `HTTP ${httpStatus(error)}` : (error as Error)?.message);

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function inPrefix(prefix: string, ip: string): boolean {
  const [base, bits] = prefix.split('/');
  const b = ipv4ToInt(base ?? '');
  const v = ipv4ToInt(ip);
  const n = Number(bits);
  if (b === undefined || v === undefined || !Number.isInteger(n)) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((b & mask) >>> 0) === ((v & mask) >>> 0);
}

async function checkVirtualNetwork(api: AzureApi, context: StartupContext, signal: AbortSignal): Promise<ServiceProblem | undefined> {
  const vnet = parseResourceId(api.virtualNetworkId);
  if (!vnet) return { field: 'virtual-network', message: `The virtual network id ${api.virtualNetworkId} cannot be parsed.` };
  let prefixes: string[];
  try {
    const network = await api.call('virtualNetworks.get', vnet.name, signal, (o) => api.client.virtualNetworks.get(vnet.resourceGroup, vnet.name, o));
    prefixes = network.addressSpace?.addressPrefixes ?? [];
  } catch (error) {
    return { field: 'virtual-network', message: `Virtual network ${vnet.name} (--azure-vnet-id) cannot be read (${codeOf(error)}): pod addresses cannot be checked against it.` };
  }
  const outside = context.podAddresses.filter((ip) => ipv4ToInt(ip) !== undefined && !prefixes.some((p) => inPrefix(p, ip)));
  if (outside.length === 0) return undefined;
  return {
    field: 'virtual-network',
    message: `Pod address ${outside[0]}${outside.length > 1 ? ` (and ${outside.length - 1} more)` : ''} is outside virtual network ${vnet.name} (${prefixes.join(', ')}): the cluster likely runs a CNI overlay (Azure CNI Overlay or kubenet), whose pod IPs cannot be members of an IP-based backend pool; Sluice needs pod IPs from the virtual network (Azure CNI with a pod subnet, or flat Azure CNI).`,
  };
}

async function checkHealthReport(api: AzureApi, signal: AbortSignal): Promise<ServiceProblem | undefined> {
  try {
    await api.lro('loadBalancingRules.health', `${PROBE_LOAD_BALANCER}/check`, signal, (o) => api.client.loadBalancerLoadBalancingRules.health(api.resourceGroup, PROBE_LOAD_BALANCER, 'check', o));
    return undefined;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isNotFound(error) || httpStatus(error) === 404) return undefined;
    return {
      field: 'health-report',
      message: `The load-balancing-rule health report does not answer in resource group ${api.resourceGroup} (${codeOf(error)}): every readiness gate will wait at initial and rollouts stall until it does; run with --no-readiness-gate, or follow the probes through Azure Monitor's Health Probe Status metric (DipAvailability) instead.`,
    };
  }
}

async function checkNsg(api: AzureApi, nsg: NsgWriter, signal: AbortSignal): Promise<ServiceProblem | undefined> {
  const { name, resourceGroup } = nsg.target;
  try {
    await nsg.read(signal);
  } catch (error) {
    if (error instanceof Error && error.name === 'TerminalError') return { field: 'network-security-group', message: error.message };
    return { field: 'network-security-group', message: `Network security group ${name} in resource group ${resourceGroup} cannot be read (${codeOf(error)}): Sluice cannot write its rules into it.` };
  }
  let missing: string[];
  try {
    missing = await missingActions(api, { resourceGroup, provider: 'Microsoft.Network', type: 'networkSecurityGroups', name }, NSG_RULE_ACTIONS, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return {
      field: 'network-security-group',
      message: `Sluice cannot tell whether it may write security rules in network security group ${name}: listing its permissions there failed (${codeOf(error)}); grant Microsoft.Authorization/permissions/read (deploy/azure/sluice-role.json has it) or make sure the identity may write and delete security rules in resource group ${resourceGroup}.`,
    };
  }
  if (missing.length === 0) return undefined;
  return {
    field: 'network-security-group',
    message: `The identity may not ${missing.map((a) => a.split('/').pop()).join(' or ')} security rules in network security group ${name} (missing ${missing.join(', ')}): no Service's rule can be written, so clients will be dropped while probes pass; assign deploy/azure/sluice-role.json on resource group ${resourceGroup}.`,
  };
}

/** Runs every check; the failed ones, in order. */
export async function runStartupChecks(api: AzureApi, nsg: NsgWriter | undefined, context: StartupContext, signal: AbortSignal): Promise<ServiceProblem[]> {
  const results = [await checkVirtualNetwork(api, context, signal), await checkHealthReport(api, signal), nsg ? await checkNsg(api, nsg, signal) : undefined];
  return results.filter((r): r is ServiceProblem => r !== undefined);
}
