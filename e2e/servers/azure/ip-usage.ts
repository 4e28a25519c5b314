/**
 * Who uses which address: the cross-resource lookups behind address allocation and the
 * read-only back-references ARM computes (`ipConfiguration` on a public IP). They read the
 * stored bodies of load balancers and network interfaces, so they always reflect the
 * latest writes.
 */
import type { ArmStore } from './arm-store.ts';
import { isObject, objectAt, refAt, stringAt } from './json.ts';
import { nicIpConfigurations } from './network-interface.ts';
import { idKey, LB_TYPE, PIP_TYPE } from './resource-ids.ts';


export interface FrontendUse {
  /** The frontend IP configuration id. */
  readonly id: string;
  readonly loadBalancerId: string;
  readonly publicIPAddressId: string | undefined;
  readonly subnetId: string | undefined;
  readonly privateIPAddress: string | undefined;
}

/** Every load balancer frontend IP configuration in the store. */
export function frontendUses(store: ArmStore): FrontendUse[] {
  const out: FrontendUse[] = [];
  for (const lb of store.list(LB_TYPE)) {
    const frontends = objectAt(lb.body, 'properties')?.['frontendIPConfigurations'];
    if (!Array.isArray(frontends)) continue;
    for (const f of frontends.filter(isObject)) {
      const p = objectAt(f, 'properties');
      out.push({
        id: `${lb.id}/frontendIPConfigurations/${stringAt(f, 'name')}`,
        loadBalancerId: lb.id,
        publicIPAddressId: refAt(p, 'publicIPAddress'),
        subnetId: refAt(p, 'subnet'),
        privateIPAddress: stringAt(p, 'privateIPAddress'),
      });
    }
  }
  return out;
}

/** Ids of the IP configurations (LB frontends, NIC IP configurations) that hold a public IP. */
export function publicIpUsers(store: ArmStore, publicIpId: string, exceptLoadBalancerId?: string): string[] {
  const key = idKey(publicIpId);
  const except = exceptLoadBalancerId === undefined ? undefined : idKey(exceptLoadBalancerId);
  const fromLbs = frontendUses(store)
    .filter((f) => f.publicIPAddressId !== undefined && idKey(f.publicIPAddressId) === key && idKey(f.loadBalancerId) !== except)
    .map((f) => f.id);
  const fromNics = nicIpConfigurations(store)
    .filter((c) => c.publicIPAddressId !== undefined && idKey(c.publicIPAddressId) === key)
    .map((c) => c.id);
  return [...fromLbs, ...fromNics];
}

/** Private addresses taken in a subnet by LB frontends (other than `exceptLoadBalancerId`'s) and NICs. */
export function privateIpsInSubnet(store: ArmStore, subnetId: string, exceptLoadBalancerId?: string): Set<string> {
  const key = idKey(subnetId);
  const except = exceptLoadBalancerId === undefined ? undefined : idKey(exceptLoadBalancerId);
  const used = new Set<string>();
  for (const f of frontendUses(store)) {
    if (f.subnetId !== undefined && idKey(f.subnetId) === key && f.privateIPAddress && idKey(f.loadBalancerId) !== except) used.add(f.privateIPAddress);
  }
  for (const c of nicIpConfigurations(store)) {
    if (c.subnetId !== undefined && idKey(c.subnetId) === key && c.privateIPAddress) used.add(c.privateIPAddress);
  }
  return used;
}

/** Public addresses already handed out. */
export function usedPublicIps(store: ArmStore): Set<string> {
  const used = new Set<string>();
  for (const pip of store.list(PIP_TYPE)) {
    const ip = stringAt(objectAt(pip.body, 'properties'), 'ipAddress');
    if (ip) used.add(ip);
  }
  return used;
}
