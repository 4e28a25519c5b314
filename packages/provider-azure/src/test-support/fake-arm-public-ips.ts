/**
 * The fake ARM's public IP addresses (fake-arm.ts): created on first use or added by a test
 * (annotation-named, or someone else's), a Standard SKU only with Static allocation, PUTs and
 * DELETEs as long-running operations, and a DELETE refused while a load balancer frontend
 * still uses the address.
 */
import { randomUUID } from 'node:crypto';
import type { FakeOperations } from './fake-arm-operations.ts';
import { type ArmReply, type ArmRequest, cloudError, type Json } from './fake-arm-wire.ts';

/** What the public IPs need from the rest of the fake. */
export interface PublicIpContext {
  readonly location: string;
  readonly operations: FakeOperations;
  id(kind: string, name: string): string;
  etag(): string;
  notFound(kind: string, name: string): ArmReply;
  /** The id of a load balancer frontend that uses the public IP `pipId`, or undefined. */
  frontendUsing(pipId: string): string | undefined;
}

export class FakePublicIps {
  /** Wire-format public IPs by lower-case name. */
  readonly byName = new Map<string, Json>();
  readonly #context: PublicIpContext;
  #next = 10;

  constructor(context: PublicIpContext) {
    this.#context = context;
  }

  /** Adds a public IP as it would exist before the test. */
  add(name: string, options: { tags?: Record<string, string>; sku?: string; ipAddress?: string } = {}): Json {
    const pip = {
      name,
      id: this.#context.id('publicIPAddresses', name),
      etag: this.#context.etag(),
      type: 'Microsoft.Network/publicIPAddresses',
      location: this.#context.location,
      tags: options.tags ?? {},
      sku: { name: options.sku ?? 'Standard', tier: 'Regional' },
      properties: {
        provisioningState: 'Succeeded',
        resourceGuid: randomUUID(),
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        idleTimeoutInMinutes: 4,
        ipTags: [],
        ipAddress: options.ipAddress ?? `20.50.0.${this.#next++}`,
      },
    };
    this.byName.set(name.toLowerCase(), pip);
    return pip;
  }

  /** The stored id of the public IP a frontend names by `reference`, or undefined when there is none. */
  idOf(reference: string): string | undefined {
    const pip = this.byName.get(reference.split('/').at(-1)!.toLowerCase());
    return pip !== undefined && pip.id.toLowerCase() === reference.toLowerCase() ? pip.id : undefined;
  }

  get(name: string): ArmReply {
    const pip = this.byName.get(name.toLowerCase());
    return pip ? { status: 200, body: pip } : this.#context.notFound('publicIPAddresses', name);
  }

  put(req: ArmRequest, name: string, body: Json): ArmReply {
    if (!body?.location) return cloudError(400, 'LocationRequired', 'The location property is required for this definition.');
    const existing = this.byName.get(name.toLowerCase());
    const sku = body.sku?.name ?? 'Basic';
    const allocation = body.properties?.publicIPAllocationMethod ?? 'Dynamic';
    if (sku === 'Standard' && allocation !== 'Static') {
      return cloudError(400, 'StandardSkuPublicIPAddressesCanOnlyBeStatic', `Standard sku public IP address ${name} must use Static allocation.`);
    }
    const pip = existing ?? this.add(name, { sku });
    pip.tags = body.tags ?? {};
    pip.sku = { name: sku, tier: body.sku?.tier ?? 'Regional' };
    pip.location = body.location;
    pip.etag = this.#context.etag();
    pip.properties = { ...pip.properties, publicIPAllocationMethod: allocation, publicIPAddressVersion: body.properties?.publicIPAddressVersion ?? 'IPv4', provisioningState: 'Updating' };
    const headers = this.#context.operations.start(req, { onDone: () => (pip.properties.provisioningState = 'Succeeded') }, false);
    return { status: existing ? 200 : 201, headers, body: pip };
  }

  delete(req: ArmRequest, name: string): ArmReply {
    const pip = this.byName.get(name.toLowerCase());
    if (!pip) return { status: 204 };
    const user = this.#context.frontendUsing(pip.id);
    if (user !== undefined) {
      return cloudError(400, 'PublicIPAddressCannotBeDeleted', `Public IP address ${pip.id} can not be deleted since it is still allocated to resource ${user}.`);
    }
    const headers = this.#context.operations.start(req, { onDone: () => this.byName.delete(name.toLowerCase()) }, true);
    return { status: 202, headers };
  }
}
