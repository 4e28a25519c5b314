/**
 * Which IAM permissions each Compute method @sluice/provider-gcp calls needs, keyed by the REST
 * method name the Compute test server logs (`compute.<collection>.<method>`). The first
 * permission is the method's own (the "IAM Permissions" section of its REST reference,
 * https://cloud.google.com/compute/docs/reference/rest/v1); the others are the "use"
 * permissions on resources the request body references (Google's "Compute Engine IAM roles and
 * permissions", https://cloud.google.com/compute/docs/access/iam-permissions). The union of all
 * of them, with the internal-address variants, is exactly `deploy/gcp/sluice-role.yaml`, which
 * the gcp e2e jobs check.
 */
export const COMPUTE_METHOD_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  // zonal NEGs; the NEG references the VPC (and, when the provider has one, the subnetwork)
  'compute.networkEndpointGroups.aggregatedList': ['compute.networkEndpointGroups.list'],
  'compute.networkEndpointGroups.get': ['compute.networkEndpointGroups.get'],
  'compute.networkEndpointGroups.insert': ['compute.networkEndpointGroups.create', 'compute.networks.use', 'compute.subnetworks.use'],
  'compute.networkEndpointGroups.delete': ['compute.networkEndpointGroups.delete'],
  'compute.networkEndpointGroups.attachNetworkEndpoints': ['compute.networkEndpointGroups.attachNetworkEndpoints'],
  'compute.networkEndpointGroups.detachNetworkEndpoints': ['compute.networkEndpointGroups.detachNetworkEndpoints'],
  'compute.networkEndpointGroups.listNetworkEndpoints': ['compute.networkEndpointGroups.get'],
  // regional health check (patch is an update)
  'compute.regionHealthChecks.get': ['compute.regionHealthChecks.get'],
  'compute.regionHealthChecks.insert': ['compute.regionHealthChecks.create'],
  'compute.regionHealthChecks.patch': ['compute.regionHealthChecks.update'],
  'compute.regionHealthChecks.delete': ['compute.regionHealthChecks.delete'],
  // regional backend service; it references the health check and the NEGs
  'compute.regionBackendServices.get': ['compute.regionBackendServices.get'],
  'compute.regionBackendServices.insert': ['compute.regionBackendServices.create', 'compute.regionHealthChecks.useReadOnly', 'compute.networkEndpointGroups.use'],
  'compute.regionBackendServices.update': ['compute.regionBackendServices.update', 'compute.regionHealthChecks.useReadOnly', 'compute.networkEndpointGroups.use'],
  'compute.regionBackendServices.delete': ['compute.regionBackendServices.delete'],
  // regional target TCP proxy; it references the backend service
  'compute.regionTargetTcpProxies.list': ['compute.regionTargetTcpProxies.list'],
  'compute.regionTargetTcpProxies.insert': ['compute.regionTargetTcpProxies.create', 'compute.regionBackendServices.use'],
  'compute.regionTargetTcpProxies.delete': ['compute.regionTargetTcpProxies.delete'],
  // regional forwarding rule; it references the proxy, the address and the VPC (and the
  // subnetwork when internal), and is created with labels
  'compute.forwardingRules.list': ['compute.forwardingRules.list'],
  'compute.forwardingRules.insert': [
    'compute.forwardingRules.create',
    'compute.regionTargetTcpProxies.use',
    'compute.networks.use',
    'compute.subnetworks.use',
    'compute.forwardingRules.setLabels',
    'compute.addresses.use',
  ],
  'compute.forwardingRules.delete': ['compute.forwardingRules.delete'],
  // the Service's reserved regional address (an internal one comes from the subnetwork)
  'compute.addresses.get': ['compute.addresses.get'],
  'compute.addresses.insert': ['compute.addresses.create', 'compute.subnetworks.use'],
  'compute.addresses.delete': ['compute.addresses.delete'],
  // prerequisites: the region's proxy-only subnet and the VPC firewall rules; with
  // createFirewallRules the provider creates, widens and deletes its own rules (a change to
  // a network's firewall also needs networks.updatePolicy)
  'compute.subnetworks.list': ['compute.subnetworks.list'],
  'compute.firewalls.list': ['compute.firewalls.list'],
  'compute.firewalls.insert': ['compute.firewalls.create', 'compute.networks.updatePolicy'],
  'compute.firewalls.patch': ['compute.firewalls.update', 'compute.networks.updatePolicy'],
  'compute.firewalls.delete': ['compute.firewalls.delete', 'compute.networks.updatePolicy'],
  'compute.globalOperations.wait': ['compute.globalOperations.get'],
  'compute.globalOperations.get': ['compute.globalOperations.get'],
  // operation waits (wait needs the same permission as get)
  'compute.regionOperations.wait': ['compute.regionOperations.get'],
  'compute.regionOperations.get': ['compute.regionOperations.get'],
  'compute.zoneOperations.wait': ['compute.zoneOperations.get'],
  'compute.zoneOperations.get': ['compute.zoneOperations.get'],
};

/**
 * What a method needs instead when the address is INTERNAL (`sluice.dev/gcp-internal`): the
 * log does not tell the variants apart, so these are granted for the methods but never
 * counted as used by a job.
 */
export const INTERNAL_ADDRESS_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  'compute.addresses.insert': ['compute.addresses.createInternal'],
  'compute.addresses.delete': ['compute.addresses.deleteInternal'],
  'compute.forwardingRules.insert': ['compute.addresses.useInternal'],
};

/** `includedPermissions` of a role file in gcloud's `iam roles create --file` YAML. */
export function includedPermissions(yaml: string): string[] {
  const start = yaml.search(/^includedPermissions:\s*$/m);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of yaml.slice(start).split('\n').slice(1)) {
    const m = /^\s*-\s*([\w.]+)\s*$/.exec(line);
    if (m?.[1]) out.push(m[1]);
    else if (line.trim() !== '' && !line.trimStart().startsWith('#')) break;
  }
  return out;
}

export interface RoleCheck {
  /** Methods called that this file does not map. */
  readonly unmapped: string[];
  /** Permissions the calls need that the role lacks. */
  readonly missing: string[];
  /** Permissions the role grants that no provider method needs. */
  readonly extra: string[];
  /** The report: methods called, permissions used / granted, each granted permission used or not. */
  readonly report: string;
}

/** Holds the Compute methods a job called (`compute.<collection>.<method>` -> count) against a role file's permissions. */
export function checkRole(called: Readonly<Record<string, number>>, roleYaml: string, roleName: string): RoleCheck {
  const granted = new Set(includedPermissions(roleYaml));
  const unmapped = Object.keys(called).filter((m) => !(m in COMPUTE_METHOD_PERMISSIONS));
  const used = new Set(Object.keys(called).flatMap((m) => COMPUTE_METHOD_PERMISSIONS[m] ?? []));
  const missing = [...used].filter((p) => !granted.has(p)).sort();
  const mapped = new Set([...Object.values(COMPUTE_METHOD_PERMISSIONS).flat(), ...Object.values(INTERNAL_ADDRESS_PERMISSIONS).flat()]);
  const internal = new Set(Object.values(INTERNAL_ADDRESS_PERMISSIONS).flat());
  const extra = [...granted].filter((p) => !mapped.has(p)).sort();
  const lines = [...granted].sort().map((p) => `  ${used.has(p) ? 'used    ' : internal.has(p) ? 'internal' : 'not used'} ${p}`);
  const methods = Object.entries(called)
    .sort()
    .map(([m, n]) => `${m.replace(/^compute\./, '')}×${n}`)
    .join(', ');
  const report = `Compute methods called (${Object.keys(called).length}): ${methods}\npermissions used by this job / granted by ${roleName}: ${used.size} / ${granted.size}\n${lines.join('\n')}`;
  return { unmapped, missing, extra, report };
}
