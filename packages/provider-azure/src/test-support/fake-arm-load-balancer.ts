/**
 * The fake ARM's load balancer body (fake-arm.ts): how a PUT body becomes the stored resource,
 * what it refuses (references to children or public IPs that do not exist, a frontend with
 * neither public IP nor subnet, an unknown rule protocol, backend addresses without a name,
 * IP or virtual network, an adminState other than None, Up or Down), and the ETag and
 * provisioning state its children share with it, with their back-references to the rules.
 */
import { randomUUID } from 'node:crypto';
import { type ArmReply, cloudError, type Json } from './fake-arm-wire.ts';

/** The child collections of a load balancer and the resource type of each. */
export const CHILD_TYPES: Readonly<Record<string, string>> = {
  frontendIPConfigurations: 'Microsoft.Network/loadBalancers/frontendIPConfigurations',
  backendAddressPools: 'Microsoft.Network/loadBalancers/backendAddressPools',
  probes: 'Microsoft.Network/loadBalancers/probes',
  loadBalancingRules: 'Microsoft.Network/loadBalancers/loadBalancingRules',
};
const ADMIN_STATES = new Set(['None', 'Up', 'Down']);

/** What building a load balancer needs from the rest of the fake. */
export interface LoadBalancerContext {
  /** The stored resource id of a public IP given by the id a frontend names, or undefined when there is none. */
  publicIpId(reference: string): string | undefined;
  /** The next private frontend address to hand out. */
  nextPrivateIp(): string;
}

/**
 * The stored load balancer for a PUT of `body` at `lbId` (state `Updating`, no ETag yet), or the
 * CloudError ARM answers instead; `existing` keeps the resource GUID and private frontend addresses.
 */
export function buildLoadBalancer(name: string, lbId: string, body: Json, existing: Json | undefined, context: LoadBalancerContext): Json | ArmReply {
  if (!body?.location) return cloudError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (body.sku?.name !== 'Standard') return cloudError(400, 'InvalidLoadBalancerSku', `Load balancer ${name} must use the Standard SKU in this fake, got ${body.sku?.name}.`);
  const props = body.properties ?? {};
  const children: Record<string, Json[]> = {};
  for (const kind of Object.keys(CHILD_TYPES)) {
    children[kind] = (props[kind] ?? []).map((c: Json) => ({
      name: c.name,
      id: `${lbId}/${kind}/${c.name}`,
      type: CHILD_TYPES[kind],
      properties: { ...(c.properties ?? {}) },
    }));
  }
  for (const fe of children['frontendIPConfigurations']!) {
    const pipRef = fe.properties.publicIPAddress?.id as string | undefined;
    if (pipRef !== undefined) {
      const id = context.publicIpId(pipRef);
      if (id === undefined) return cloudError(400, 'InvalidResourceReference', `Resource ${pipRef} referenced by resource ${fe.id} was not found.`);
      fe.properties.publicIPAddress = { id };
    } else if (fe.properties.subnet?.id) {
      const previous = existing?.properties.frontendIPConfigurations.find((f: Json) => f.name === fe.name)?.properties.privateIPAddress;
      fe.properties.privateIPAddress ??= previous ?? context.nextPrivateIp();
      fe.properties.privateIPAllocationMethod ??= 'Dynamic';
    } else {
      return cloudError(400, 'InvalidFrontendIPConfiguration', `Frontend IP configuration ${fe.id} needs a public IP address or a subnet.`);
    }
  }
  const refOk = (kind: string, ref: Json) => ref?.id !== undefined && children[kind]!.some((c) => c.id.toLowerCase() === String(ref.id).toLowerCase());
  for (const rule of children['loadBalancingRules']!) {
    for (const [kind, ref] of [
      ['frontendIPConfigurations', rule.properties.frontendIPConfiguration],
      ['backendAddressPools', rule.properties.backendAddressPool],
      ['probes', rule.properties.probe],
    ] as const) {
      if (!refOk(kind, ref)) return cloudError(400, 'InvalidResourceReference', `Resource ${ref?.id} referenced by resource ${rule.id} was not found.`);
    }
    if (!['Tcp', 'Udp', 'All'].includes(rule.properties.protocol)) return cloudError(400, 'InvalidRequestFormat', `Rule ${rule.name} has protocol ${rule.properties.protocol}.`);
  }
  for (const pool of children['backendAddressPools']!) {
    const problem = checkBackendAddresses(pool.properties.loadBalancerBackendAddresses ?? []);
    if (problem) return problem;
  }
  return {
    name,
    id: lbId,
    etag: '',
    type: 'Microsoft.Network/loadBalancers',
    location: body.location,
    tags: body.tags ?? {},
    sku: body.sku,
    properties: {
      provisioningState: 'Updating',
      resourceGuid: existing?.properties.resourceGuid ?? randomUUID(),
      ...children,
      inboundNatRules: [],
      inboundNatPools: [],
      outboundRules: [],
    },
  };
}

/** The CloudError for the first backend address of an IP-based pool that ARM refuses, or undefined. */
export function checkBackendAddresses(addresses: Json[]): ArmReply | undefined {
  const names = new Set<string>();
  for (const a of addresses) {
    const p = a.properties ?? {};
    if (!a.name || names.has(a.name)) return cloudError(400, 'InvalidRequestFormat', `Backend address names must be present and unique, got ${a.name}.`);
    names.add(a.name);
    if (!p.ipAddress || !p.virtualNetwork?.id) {
      return cloudError(400, 'InvalidRequestFormat', `Backend address ${a.name} needs an ipAddress and a virtualNetwork in an IP-based backend pool.`);
    }
    if (p.adminState !== undefined && !ADMIN_STATES.has(p.adminState)) {
      return cloudError(400, 'InvalidRequestFormat', `Backend address ${a.name} has adminState ${p.adminState}; allowed are None, Up, Down.`);
    }
  }
  return undefined;
}

/** Sets the ETag (and provisioning state) on the load balancer and every child, and the children's back-references to the rules using them. */
export function stampLoadBalancer(lb: Json, etag: string | undefined, state?: string): void {
  if (etag !== undefined) lb.etag = etag;
  if (state !== undefined) lb.properties.provisioningState = state;
  const rules: Json[] = lb.properties.loadBalancingRules;
  for (const kind of Object.keys(CHILD_TYPES)) {
    for (const child of lb.properties[kind] as Json[]) {
      child.etag = lb.etag;
      if (state !== undefined) child.properties.provisioningState = state;
      if (kind === 'loadBalancingRules') continue;
      const ref = kind === 'frontendIPConfigurations' ? 'frontendIPConfiguration' : kind === 'backendAddressPools' ? 'backendAddressPool' : 'probe';
      const users = rules.filter((r) => String(r.properties[ref]?.id).toLowerCase() === child.id.toLowerCase()).map((r) => ({ id: r.id }));
      if (users.length > 0) child.properties.loadBalancingRules = users;
      else delete child.properties.loadBalancingRules;
    }
  }
}
