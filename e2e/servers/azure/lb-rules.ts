/**
 * Probes, load-balancing rules, inbound NAT rules and outbound rules of a load balancer:
 * required properties, enums and ranges as the API defines them, defaults filled in as ARM
 * reports them, and every reference to a sibling resolved through {@link ChildRefs}.
 * A load-balancing rule's idle timeout allows 4-100 minutes (Standard load balancers).
 */
import { badRequest, invalidRequestFormat } from './arm-errors.ts';
import type { JsonObject } from './json.ts';
import { type ChildRefs, childRef, requiredChildRef } from './lb-child-refs.ts';
import { arrayValue, boolValue, enumValue, intValue, stringValue } from './validate.ts';

const PROTOCOLS = ['Udp', 'Tcp', 'All'] as const;

export function normalizeProbe(props: JsonObject, path: string, probeId: string): JsonObject {
  const protocol = enumValue(props['protocol'], ['Http', 'Tcp', 'Https'] as const, `${path}.protocol`, 'ProbeProtocol');
  if (protocol === undefined) throw invalidRequestFormat(`${path}.protocol`, 'Required property protocol is missing.');
  const port = intValue(props['port'], `${path}.port`, 1, 65535);
  if (port === undefined) throw invalidRequestFormat(`${path}.port`, 'Required property port is missing.');
  const requestPath = stringValue(props['requestPath'], `${path}.requestPath`);
  if (protocol !== 'Tcp' && !requestPath) throw badRequest('ProbeRequestPathRequired', `Probe ${probeId} uses ${protocol}; it needs a requestPath.`);
  if (protocol === 'Tcp' && requestPath) throw badRequest('ProbeRequestPathNotAllowed', `Probe ${probeId} uses Tcp; a requestPath is not allowed.`);
  const out: JsonObject = {
    protocol,
    port,
    intervalInSeconds: intValue(props['intervalInSeconds'], `${path}.intervalInSeconds`, 5, 2147483647) ?? 15,
    numberOfProbes: intValue(props['numberOfProbes'], `${path}.numberOfProbes`, 1, 2147483647) ?? 2,
    probeThreshold: intValue(props['probeThreshold'], `${path}.probeThreshold`, 1, 100) ?? 1,
  };
  if (requestPath) out['requestPath'] = requestPath;
  const nhb = enumValue(props['noHealthyBackendsBehavior'], ['AllProbedDown', 'AllProbedUp'] as const, `${path}.noHealthyBackendsBehavior`, 'ProbeNoHealthyBackendsBehavior');
  if (nhb) out['noHealthyBackendsBehavior'] = nhb;
  return out;
}

export function normalizeRule(props: JsonObject, path: string, ruleId: string, refs: ChildRefs): JsonObject {
  const protocol = enumValue(props['protocol'], PROTOCOLS, `${path}.protocol`, 'TransportProtocol');
  if (protocol === undefined) throw invalidRequestFormat(`${path}.protocol`, 'Required property protocol is missing.');
  const frontendPort = intValue(props['frontendPort'], `${path}.frontendPort`, 0, 65534);
  if (frontendPort === undefined) throw invalidRequestFormat(`${path}.frontendPort`, 'Required property frontendPort is missing.');
  const out: JsonObject = { frontendIPConfiguration: requiredChildRef(refs, 'frontendIPConfigurations', props['frontendIPConfiguration'], `${path}.frontendIPConfiguration`, ruleId) };
  const pool = childRef(refs, 'backendAddressPools', props['backendAddressPool'], `${path}.backendAddressPool`, ruleId);
  if (pool) out['backendAddressPool'] = pool;
  const pools = arrayValue(props['backendAddressPools'], `${path}.backendAddressPools`).map((p, i) => requiredChildRef(refs, 'backendAddressPools', p, `${path}.backendAddressPools[${i}]`, ruleId));
  if (pools.length > 0) out['backendAddressPools'] = pools;
  const probe = childRef(refs, 'probes', props['probe'], `${path}.probe`, ruleId);
  if (probe) out['probe'] = probe;
  Object.assign(out, {
    protocol,
    frontendPort,
    backendPort: intValue(props['backendPort'], `${path}.backendPort`, 0, 65535) ?? frontendPort,
    idleTimeoutInMinutes: intValue(props['idleTimeoutInMinutes'], `${path}.idleTimeoutInMinutes`, 4, 100) ?? 4,
    enableFloatingIP: boolValue(props['enableFloatingIP'], `${path}.enableFloatingIP`) ?? false,
    enableTcpReset: boolValue(props['enableTcpReset'], `${path}.enableTcpReset`) ?? false,
    loadDistribution: enumValue(props['loadDistribution'], ['Default', 'SourceIP', 'SourceIPProtocol'] as const, `${path}.loadDistribution`, 'LoadDistribution') ?? 'Default',
    disableOutboundSnat: boolValue(props['disableOutboundSnat'], `${path}.disableOutboundSnat`) ?? false,
  });
  return out;
}

export function normalizeNatRule(props: JsonObject, path: string, ruleId: string, refs: ChildRefs): JsonObject {
  const protocol = enumValue(props['protocol'], PROTOCOLS, `${path}.protocol`, 'TransportProtocol');
  if (protocol === undefined) throw invalidRequestFormat(`${path}.protocol`, 'Required property protocol is missing.');
  const out: JsonObject = { frontendIPConfiguration: requiredChildRef(refs, 'frontendIPConfigurations', props['frontendIPConfiguration'], `${path}.frontendIPConfiguration`, ruleId) };
  const pool = childRef(refs, 'backendAddressPools', props['backendAddressPool'], `${path}.backendAddressPool`, ruleId);
  const start = intValue(props['frontendPortRangeStart'], `${path}.frontendPortRangeStart`, 1, 65534);
  const end = intValue(props['frontendPortRangeEnd'], `${path}.frontendPortRangeEnd`, 1, 65534);
  const v2 = pool !== undefined || start !== undefined || end !== undefined;
  if (v2 && (pool === undefined || start === undefined || end === undefined || end < start)) {
    throw badRequest('InvalidInboundNatRulePortRange', `Inbound NAT rule ${ruleId} with a backend pool needs backendAddressPool, frontendPortRangeStart and frontendPortRangeEnd (start <= end).`);
  }
  Object.assign(out, {
    protocol,
    frontendPort: v2 ? 0 : (intValue(props['frontendPort'], `${path}.frontendPort`, 1, 65534) ?? 0),
    backendPort: intValue(props['backendPort'], `${path}.backendPort`, 1, 65535) ?? 0,
    idleTimeoutInMinutes: intValue(props['idleTimeoutInMinutes'], `${path}.idleTimeoutInMinutes`, 4, 100) ?? 4,
    enableFloatingIP: boolValue(props['enableFloatingIP'], `${path}.enableFloatingIP`) ?? false,
    enableTcpReset: boolValue(props['enableTcpReset'], `${path}.enableTcpReset`) ?? false,
  });
  if (v2) Object.assign(out, { frontendPortRangeStart: start!, frontendPortRangeEnd: end!, backendAddressPool: pool! });
  return out;
}

export function normalizeOutboundRule(props: JsonObject, path: string, ruleId: string, refs: ChildRefs): JsonObject {
  const frontends = arrayValue(props['frontendIPConfigurations'], `${path}.frontendIPConfigurations`).map((f, i) =>
    requiredChildRef(refs, 'frontendIPConfigurations', f, `${path}.frontendIPConfigurations[${i}]`, ruleId),
  );
  if (frontends.length === 0) throw invalidRequestFormat(`${path}.frontendIPConfigurations`, 'Required property frontendIPConfigurations is missing or empty.');
  const protocol = enumValue(props['protocol'], PROTOCOLS, `${path}.protocol`, 'LoadBalancerOutboundRuleProtocol');
  if (protocol === undefined) throw invalidRequestFormat(`${path}.protocol`, 'Required property protocol is missing.');
  return {
    frontendIPConfigurations: frontends,
    backendAddressPool: requiredChildRef(refs, 'backendAddressPools', props['backendAddressPool'], `${path}.backendAddressPool`, ruleId),
    protocol,
    allocatedOutboundPorts: intValue(props['allocatedOutboundPorts'], `${path}.allocatedOutboundPorts`, 0, 64000) ?? 0,
    idleTimeoutInMinutes: intValue(props['idleTimeoutInMinutes'], `${path}.idleTimeoutInMinutes`, 4, 120) ?? 4,
    enableTcpReset: boolValue(props['enableTcpReset'], `${path}.enableTcpReset`) ?? false,
  };
}
