/**
 * Building blocks of the spec replay's seeds: the subscription and resource ids the
 * published examples use, a PUT that waits for its operation, and the load balancers and
 * public IPs several examples share.
 */
import type { ArmHttpClient } from './arm-http-client.ts';
import type { ArmState } from './arm-state.ts';
import type { Json, JsonObject } from './json.ts';

/** What a seed may use: the state API and an authenticated raw ARM client. */
export interface SeedContext {
  readonly state: ArmState;
  readonly client: ArmHttpClient;
}

export const SUB = 'subid';
export const net = (rg: string, ...segments: string[]) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/${segments.join('/')}`;
export const ref = (id: string) => ({ id });

/** PUTs through ARM and waits for the operation, so the seed is Succeeded before the replay. */
export async function put(c: SeedContext, path: string, body: Json): Promise<void> {
  const res = await c.client.send('PUT', path, { body });
  if (res.status !== 200 && res.status !== 201) throw new Error(`seeding PUT ${path} failed: ${res.status} ${res.text}`);
  const op = res.headers['azure-asyncoperation'];
  if (op === undefined) throw new Error(`seeding PUT ${path}: no Azure-AsyncOperation header`);
  const status = await c.client.waitForOperation(op);
  if (status !== 'Succeeded') throw new Error(`seeding PUT ${path}: operation ended ${status}`);
}

export function groups(c: SeedContext, location: string, ...names: string[]): void {
  for (const n of names) c.state.createResourceGroup(SUB, n, location);
}

/** rg1/vnetlb with subnet subnetlb, as the examples name them. */
export function vnetlb(c: SeedContext, rg: string): string {
  c.state.createVirtualNetwork(SUB, rg, 'vnetlb', '10.0.0.0/16', { subnets: [{ name: 'subnetlb', addressPrefix: '10.0.1.0/24' }] });
  return net(rg, 'virtualNetworks/vnetlb/subnets/subnetlb');
}

interface LbSpec {
  readonly location?: string;
  readonly sku?: string;
  readonly frontend: { readonly name: string; readonly properties: JsonObject };
  readonly pools?: readonly JsonObject[];
  readonly probe?: { readonly name: string; readonly properties: JsonObject };
  readonly rule?: { readonly name: string; readonly pool: string; readonly properties?: JsonObject };
  readonly natRules?: readonly JsonObject[];
  readonly outboundRules?: readonly JsonObject[];
}

export function lbBody(rg: string, lb: string, s: LbSpec): JsonObject {
  const id = net(rg, 'loadBalancers', lb);
  const rules = s.rule
    ? [
        {
          name: s.rule.name,
          properties: {
            protocol: 'Tcp',
            frontendPort: 80,
            backendPort: 80,
            frontendIPConfiguration: ref(`${id}/frontendIPConfigurations/${s.frontend.name}`),
            backendAddressPool: ref(`${id}/backendAddressPools/${s.rule.pool}`),
            ...(s.probe ? { probe: ref(`${id}/probes/${s.probe.name}`) } : {}),
            ...(s.rule.properties ?? {}),
          },
        },
      ]
    : [];
  return {
    location: s.location ?? 'eastus',
    sku: { name: s.sku ?? 'Standard' },
    properties: {
      frontendIPConfigurations: [s.frontend],
      backendAddressPools: [...(s.pools ?? [])],
      probes: s.probe ? [s.probe] : [],
      loadBalancingRules: rules,
      inboundNatRules: [...(s.natRules ?? [])],
      outboundRules: [...(s.outboundRules ?? [])],
    },
  };
}

export const HTTP_PROBE = { protocol: 'Http', port: 80, requestPath: 'healthcheck.aspx', intervalInSeconds: 15, numberOfProbes: 2, probeThreshold: 1 };

export function addresses(): JsonObject[] {
  const vnet = ref(net('rg1', 'virtualNetworks/vnetlb'));
  return [
    { name: 'address1', properties: { virtualNetwork: vnet, ipAddress: '10.0.0.4' } },
    { name: 'address2', properties: { virtualNetwork: vnet, ipAddress: '10.0.0.5' } },
  ];
}

/** testrg/lb: a private frontend, pool `backend`, and rule `rulelb` using it. */
export async function testrgLbWithRule(c: SeedContext, pool: JsonObject): Promise<void> {
  groups(c, 'eastus', 'testrg', 'rg1');
  const subnet = vnetlb(c, 'rg1');
  await put(
    c,
    net('testrg', 'loadBalancers', 'lb'),
    lbBody('testrg', 'lb', {
      frontend: { name: 'fe', properties: { subnet: ref(subnet) } },
      pools: [pool],
      probe: { name: 'probe', properties: { protocol: 'Tcp', port: 80 } },
      rule: { name: 'rulelb', pool: 'backend' },
    }),
  );
}

/** The load balancer of the rg1 examples (fe-lb, be-lb, rulelb, probe-lb, in-nat-rule). */
export function rg1Lb(subnet: string, natRule: JsonObject, pool: JsonObject): JsonObject {
  const id = net('rg1', 'loadBalancers', 'lb');
  return lbBody('rg1', 'lb', {
    location: 'westus',
    frontend: { name: 'fe-lb', properties: { subnet: ref(subnet) } },
    pools: [pool],
    probe: { name: 'probe-lb', properties: HTTP_PROBE },
    rule: { name: 'rulelb', pool: 'be-lb', properties: { enableFloatingIP: true, idleTimeoutInMinutes: 15, enableTcpReset: true } },
    natRules: [{ name: 'in-nat-rule', properties: { frontendIPConfiguration: ref(`${id}/frontendIPConfigurations/fe-lb`), protocol: 'Tcp', enableFloatingIP: true, idleTimeoutInMinutes: 15, ...natRule } }],
  });
}

export async function existingPublicIp(c: SeedContext, name: string, body: JsonObject, nic?: string): Promise<void> {
  groups(c, 'eastus', 'rg1');
  await put(c, net('rg1', 'publicIPAddresses', name), body);
  if (nic) {
    c.state.createVirtualNetwork(SUB, 'rg1', 'vnet', '10.2.0.0/16');
    c.state.createNetworkInterface(SUB, 'rg1', nic, { subnetId: net('rg1', 'virtualNetworks/vnet/subnets/default'), publicIPAddressId: net('rg1', 'publicIPAddresses', name) });
  }
}
