/**
 * What Compute checks about a `GCE_VM_IP_PORT` endpoint before attaching it ("Zonal network
 * endpoint groups overview: endpoint specification" in the Cloud Load Balancing
 * documentation): the named instance must be a VM in the NEG's zone, with a network interface
 * in the NEG's network (and subnetwork, when the NEG names one), and the IP must be that
 * interface's primary internal IP or inside one of its alias IP ranges.
 */
import type { ComputeContext } from './compute-context.ts';
import type { StoredResource } from './compute-store.ts';
import { invalid } from './gce-errors.ts';
import { arrayAt, isObject } from './json.ts';
import { lastSegment } from './resource-refs.ts';
import { ipv4Range } from './vpc-firewall.ts';

/** Throws 400 `invalid` naming the field unless `ip` belongs to `instance` as the NEG requires. */
export function checkEndpointOwner(ctx: ComputeContext, neg: StoredResource, field: string, ip: string, instance: string): void {
  const name = lastSegment(instance);
  const ref = { project: neg.ref.project, scopeKind: 'zones' as const, scope: neg.ref.scope, collection: 'instances', name };
  const vm = ctx.store.find(ref);
  if (!vm) throw invalid(`Invalid value for field '${field}.instance': '${instance}'. The resource 'projects/${ref.project}/zones/${ref.scope}/instances/${name}' was not found.`);
  const nics = arrayAt(vm.body, 'networkInterfaces').filter(isObject);
  const nic = nics.find((n) => n.network === neg.body.network && (neg.body.subnetwork === undefined || n.subnetwork === neg.body.subnetwork));
  const where = `network ${lastSegment(String(neg.body.network))}${neg.body.subnetwork === undefined ? '' : ` and subnetwork ${lastSegment(String(neg.body.subnetwork))}`}`;
  if (!nic) throw invalid(`Invalid value for field '${field}.instance': '${instance}'. Instance ${name} has no network interface in the ${where} of the network endpoint group.`);
  const address = ipv4Range(ip);
  const aliases = arrayAt(nic, 'aliasIpRanges').flatMap((a) => (isObject(a) && typeof a.ipCidrRange === 'string' ? [a.ipCidrRange] : []));
  const inAlias = aliases.some((cidr) => {
    const r = ipv4Range(cidr);
    return r !== undefined && address !== undefined && address[0] >= r[0] && address[0] <= r[1];
  });
  if (nic.networkIP !== ip && !inAlias) {
    throw invalid(
      `Invalid value for field '${field}.ipAddress': '${ip}'. It is neither the primary IP (${String(nic.networkIP)}) nor in an alias IP range (${aliases.join(', ') || 'none'}) of instance ${name}'s network interface in the ${where}.`,
    );
  }
}
