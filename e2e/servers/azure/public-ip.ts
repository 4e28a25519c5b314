/**
 * Public IP addresses. A Standard address is static and gets its address when created; a
 * Basic one (the default when no SKU is given, as the 2024-05-01 API answers) is dynamic
 * unless asked otherwise and gets an address only while a load balancer frontend or NIC
 * holds it. Addresses come from 203.0.113.0/24 (TEST-NET-3, documentation only: nothing
 * is ever sent to them), or 127.77.0.0/24 when the twin's data plane serves them (see
 * ArmStore.publicAddresses), and 2001:db8::/32 for IPv6.
 */
import { createHash } from 'node:crypto';
import { badRequest } from './arm-errors.ts';
import type { ArmStore, ResourceRecord } from './arm-store.ts';
import { publicIpUsers, usedPublicIps } from './ip-usage.ts';
import { PIP_TYPE } from './resource-ids.ts';
import { isObject, type Json, type JsonObject, objectAt, pick, stringAt } from './json.ts';
import { arrayValue, enumValue, intValue, locationValue, objectValue, stringValue, tagsValue, zonesValue } from './validate.ts';

/** The body keys of `properties` a client may write; everything else it sends is ignored, as ARM does. */
const WRITABLE = ['publicIPAllocationMethod', 'publicIPAddressVersion', 'dnsSettings', 'ddosSettings', 'ipTags', 'idleTimeoutInMinutes', 'publicIPPrefix', 'deleteOption'];

function allocateAddress(store: ArmStore, version: 'IPv4' | 'IPv6'): string {
  const used = usedPublicIps(store);
  for (let i = 1; i < 255; i++) {
    const ip = version === 'IPv4' ? `${store.publicAddresses === 'loopback' ? '127.77.0' : '203.0.113'}.${i}` : `2001:db8::${i.toString(16)}`;
    if (!used.has(ip)) return ip;
  }
  throw badRequest('PublicIPCountLimitReached', 'The test server has handed out all 254 documentation addresses of 203.0.113.0/24 (or 2001:db8::/120).');
}

/** Without a label scope the name is global; with one, Azure inserts a hash of the scope. */
function fqdn(label: string, scope: string | undefined, location: string, subscriptionId: string): string {
  if (scope === undefined) return `${label}.${location}.cloudapp.azure.com`;
  const hash = createHash('sha256').update(`${scope}/${subscriptionId}/${label}`).digest('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!).slice(0, 16);
  return `${label}.${hash}.${location}.sysgen.cloudapp.azure.com`;
}

export interface PublicIpWrite {
  readonly store: ArmStore;
  readonly id: string;
  readonly subscriptionId: string;
  readonly existing: ResourceRecord | undefined;
}

/** Validates a PUT body and returns the body to store (the address is kept or allocated). */
export function normalizePublicIp(input: JsonObject, write: PublicIpWrite): JsonObject {
  const location = locationValue(input['location']);
  const tags = tagsValue(input['tags']);
  const skuIn = objectValue(input['sku'], 'sku') ?? {};
  const skuName = enumValue(skuIn['name'], ['Basic', 'Standard'] as const, 'sku.name', 'PublicIPAddressSkuName') ?? 'Basic';
  const skuTier = enumValue(skuIn['tier'], ['Regional', 'Global'] as const, 'sku.tier', 'PublicIPAddressSkuTier') ?? 'Regional';
  const zones = zonesValue(input['zones'], 'zones');
  const propsIn = objectValue(input['properties'], 'properties') ?? {};
  const props = pick(propsIn, WRITABLE);
  const version = enumValue(props['publicIPAddressVersion'], ['IPv4', 'IPv6'] as const, 'properties.publicIPAddressVersion', 'IPVersion') ?? 'IPv4';
  const method =
    enumValue(props['publicIPAllocationMethod'], ['Static', 'Dynamic'] as const, 'properties.publicIPAllocationMethod', 'IPAllocationMethod') ??
    (skuName === 'Standard' ? 'Static' : 'Dynamic');
  if (skuName === 'Standard' && method === 'Dynamic') {
    throw badRequest('StandardSkuPublicIPAddressesMustBeStatic', `Standard sku publicIp ${write.id} must have AllocationMethod set to Static.`);
  }
  const existingSku = stringAt(objectAt(write.existing?.body, 'sku'), 'name');
  if (existingSku !== undefined && existingSku !== skuName) {
    throw badRequest('PublicIPAddressSkuCannotBeChanged', `The SKU of public IP address ${write.id} is ${existingSku}; it cannot be changed to ${skuName}.`);
  }
  props['publicIPAddressVersion'] = version;
  props['publicIPAllocationMethod'] = method;
  props['idleTimeoutInMinutes'] = intValue(props['idleTimeoutInMinutes'], 'properties.idleTimeoutInMinutes', 4, 30) ?? 4;
  if (props['ipTags'] !== undefined) arrayValue(props['ipTags'], 'properties.ipTags');
  const dns = objectValue(props['dnsSettings'], 'properties.dnsSettings');
  if (dns) {
    const label = stringValue(dns['domainNameLabel'], 'properties.dnsSettings.domainNameLabel');
    const scope = enumValue(dns['domainNameLabelScope'], ['TenantReuse', 'SubscriptionReuse', 'ResourceGroupReuse', 'NoReuse'] as const, 'properties.dnsSettings.domainNameLabelScope', 'PublicIpAddressDnsSettingsDomainNameLabelScope');
    const next: JsonObject = { ...dns };
    if (label) next['fqdn'] = fqdn(label.toLowerCase(), scope, location, write.subscriptionId);
    props['dnsSettings'] = next;
  }
  if (skuName === 'Standard' && props['ddosSettings'] === undefined) props['ddosSettings'] = { protectionMode: 'VirtualNetworkInherited' };
  const previous = stringAt(objectAt(write.existing?.body, 'properties'), 'ipAddress');
  const attached = publicIpUsers(write.store, write.id).length > 0;
  if (previous !== undefined && (method === 'Static' || attached)) props['ipAddress'] = previous;
  else if (method === 'Static') props['ipAddress'] = allocateAddress(write.store, version);
  const body: JsonObject = { location, sku: { name: skuName, tier: skuTier }, properties: props };
  if (tags) body['tags'] = tags;
  if (zones) body['zones'] = zones;
  else if (write.existing?.body['zones'] !== undefined) body['zones'] = write.existing.body['zones'];
  return body;
}

/** Gives a dynamic address its IP when something starts holding it. */
export function ensureAddressAssigned(store: ArmStore, record: ResourceRecord): void {
  const props = objectAt(record.body, 'properties');
  if (props === undefined || typeof props['ipAddress'] === 'string') return;
  const version = props['publicIPAddressVersion'] === 'IPv6' ? 'IPv6' : 'IPv4';
  props['ipAddress'] = allocateAddress(store, version);
}

/** The ARM representation; `ipConfiguration` names whatever holds the address. */
export function renderPublicIp(record: ResourceRecord, store: ArmStore): JsonObject {
  const stored = objectAt(record.body, 'properties') ?? {};
  const users = publicIpUsers(store, record.id);
  const props: JsonObject = { provisioningState: record.provisioningState, resourceGuid: record.resourceGuid };
  for (const [k, v] of Object.entries(stored)) props[k] = v;
  if (stored['publicIPAllocationMethod'] === 'Dynamic' && users.length === 0) delete props['ipAddress'];
  if (users.length > 0) props['ipConfiguration'] = { id: users[0]! };
  const out: JsonObject = {
    name: record.ref.names[0]!,
    id: record.id,
    etag: record.etag,
    type: PIP_TYPE,
    location: stringAt(record.body, 'location') ?? '',
    sku: (record.body['sku'] ?? { name: 'Basic', tier: 'Regional' }) as Json,
    properties: props,
  };
  const tags = objectAt(record.body, 'tags');
  if (tags) out['tags'] = tags;
  if (Array.isArray(record.body['zones'])) out['zones'] = record.body['zones'];
  return out;
}

/** The SKU name of a stored public IP. */
export function publicIpSku(record: ResourceRecord): string {
  const sku = record.body['sku'];
  return isObject(sku) && typeof sku['name'] === 'string' ? sku['name'] : 'Basic';
}
