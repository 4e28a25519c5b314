/**
 * A recording fake of the slice of Azure Resource Manager (Microsoft.Network) the provider
 * uses, answering in the published shapes of api-version 2024-05-01 (see
 * shared/specs/azure-network): resources with ids, types, `etag` and
 * `properties.provisioningState`; PUTs answered 201 (create) or 200 (update) with an
 * `Azure-AsyncOperation` header whose status goes InProgress -> Succeeded (or Failed);
 * DELETEs answered 202 with `Location` (200/204 when done); the rule health query
 * answered 200, or 202 and polled; `If-Match` checked against the load balancer's ETag
 * (children share it, as in Azure) with 412 on a mismatch; `CloudError` bodies for 404,
 * 400, 412 and 429 (with Retry-After). Any operation can be made to fail, once or always.
 *
 * It also serves the two identity endpoints a client-secret DefaultAzureCredential needs
 * (fake-arm-wire.ts) and insists on a bearer token for ARM; operations are fake-arm-operations.ts,
 * the load balancer body and what it refuses fake-arm-load-balancer.ts, public IPs
 * fake-arm-public-ips.ts.
 */
import { randomUUID } from 'node:crypto';
import { buildLoadBalancer, CHILD_TYPES, checkBackendAddresses, stampLoadBalancer } from './fake-arm-load-balancer.ts';
import { FakeOperations } from './fake-arm-operations.ts';
import { FakePublicIps } from './fake-arm-public-ips.ts';
import { type ArmCall, type ArmReply, type ArmRequest, cloudError, type FakeFault, type FakeProbeHealth, identityReply, type Json } from './fake-arm-wire.ts';

export type { ArmCall, ArmReply, ArmRequest, FakeFault, FakeProbeHealth } from './fake-arm-wire.ts';

export class FakeArm {
  readonly subscriptionId = '00000000-0000-0000-0000-0000000000aa';
  readonly resourceGroup = 'rg-sluice';
  readonly location = 'westeurope';
  readonly vnetId = `/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-pods`;
  readonly tenant = 'tenant-1';
  readonly token = 'fake-arm-token';

  /** Wire-format load balancers by lower-case name. */
  readonly loadBalancers = new Map<string, Json>();
  readonly calls: ArmCall[] = [];
  /** Probe health per pod IP, as the rule health query reports it; absent means not probed yet. */
  readonly probeHealth = new Map<string, FakeProbeHealth>();
  /** Answer the rule health query with 202 and polling instead of 200. */
  healthAsync = false;
  /** InProgress answers an async operation gives before its final status. */
  get pollsBeforeDone(): number {
    return this.#operations.pollsBeforeDone;
  }
  set pollsBeforeDone(n: number) {
    this.#operations.pollsBeforeDone = n;
  }
  /** Tokens the token endpoint handed out. */
  tokensIssued = 0;
  /** Called before each ARM operation is handled; a test can change state here to simulate another writer. */
  beforeHandle: ((operation: string, name: string) => void) | undefined;

  readonly #operations = new FakeOperations(this.subscriptionId, this.location, this.calls);
  readonly #publicIps = new FakePublicIps({
    location: this.location,
    operations: this.#operations,
    id: (kind, name) => this.#id(kind, name),
    etag: () => this.#etag(),
    notFound: (kind, name) => this.#notFound(kind, name),
    frontendUsing: (pipId) => {
      for (const lb of this.loadBalancers.values()) {
        const fe = lb.properties.frontendIPConfigurations.find((f: Json) => String(f.properties.publicIPAddress?.id).toLowerCase() === pipId.toLowerCase());
        if (fe) return fe.id as string;
      }
      return undefined;
    },
  });
  /** Wire-format public IPs by lower-case name. */
  readonly publicIps = this.#publicIps.byName;
  readonly #faults = new Map<string, FakeFault & { left: number }>();
  #nextPrivateIp = 10;

  /** Makes `operation` (e.g. `backendAddressPools.createOrUpdate`) fail with a CloudError. */
  fail(operation: string, fault: FakeFault): void {
    this.#faults.set(operation, { ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Adds a public IP that exists before the test (annotation-named, or someone else's). */
  addPublicIp(name: string, options: { tags?: Record<string, string>; sku?: string; ipAddress?: string } = {}): Json {
    return this.#publicIps.add(name, options);
  }

  /** The pool as stored, or undefined. */
  pool(lbName: string, pool: string): Json | undefined {
    return this.loadBalancers.get(lbName.toLowerCase())?.properties.backendAddressPools.find((p: Json) => p.name === pool);
  }

  /** `name:ip:adminState` of every address of a pool, sorted. */
  addresses(lbName: string, pool: string): string[] {
    return (this.pool(lbName, pool)?.properties.loadBalancerBackendAddresses ?? [])
      .map((a: Json) => `${a.properties.ipAddress}:${a.properties.adminState ?? 'None'}`)
      .sort();
  }

  /** Changes a load balancer as another writer would: new ETag. */
  touch(lbName: string): void {
    const lb = this.loadBalancers.get(lbName.toLowerCase());
    if (lb) stampLoadBalancer(lb, this.#etag());
  }

  async handle(req: ArmRequest): Promise<ArmReply> {
    const path = req.path;
    const identity = new RegExp(`^/${this.tenant}/(v2\\.0/\\.well-known/openid-configuration|oauth2/v2\\.0/token)$`).exec(path);
    if (identity) {
      if (!identity[1]!.startsWith('v2.0')) this.tokensIssued += 1;
      return identityReply(req, this.tenant, this.token, identity[1]!);
    }
    if (req.headers['authorization'] !== `Bearer ${this.token}`) {
      return cloudError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing or carries an unknown token.');
    }
    const operationMatch = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/i.exec(path);
    if (operationMatch) return this.#operations.poll(operationMatch[1]!, operationMatch[2]!);

    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/(loadBalancers|publicIPAddresses)\/([^/]+)(?:\/(backendAddressPools|loadBalancingRules)\/([^/]+)(\/health)?)?$/i.exec(path);
    if (!m) return cloudError(404, 'InvalidResourceType', `The resource type could not be found for ${req.method} ${path}.`);
    const [, sub, rg, kind, name, childKind, childName, health] = m as unknown as [string, string, string, string, string, string?, string?, string?];
    const operation = this.#operationName(req.method, kind, childKind, health !== undefined);
    const body = req.text ? JSON.parse(req.text) : undefined;
    this.calls.push({ operation, method: req.method, name: childName ?? name, ifMatch: req.headers['if-match'], body });
    this.beforeHandle?.(operation, childName ?? name);

    const fault = this.#faults.get(operation);
    if (fault && fault.left > 0) {
      fault.left -= 1;
      return cloudError(fault.status, fault.code, fault.message ?? `${operation} failed in the fake.`, fault.headers ? { ...fault.headers } : undefined);
    }
    if (sub !== this.subscriptionId) return cloudError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    if (rg.toLowerCase() !== this.resourceGroup.toLowerCase()) return cloudError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);

    switch (operation) {
      case 'loadBalancers.get':
        return this.#getLoadBalancer(name);
      case 'loadBalancers.createOrUpdate':
        return this.#putLoadBalancer(req, name, body);
      case 'loadBalancers.delete':
        return this.#deleteLoadBalancer(req, name);
      case 'backendAddressPools.get':
        return this.#getPool(name, childName!);
      case 'backendAddressPools.createOrUpdate':
        return this.#putPool(req, name, childName!, body);
      case 'loadBalancingRules.health':
        return this.#health(req, name, childName!);
      case 'publicIPAddresses.get':
        return this.#publicIps.get(name);
      case 'publicIPAddresses.createOrUpdate':
        return this.#publicIps.put(req, name, body);
      case 'publicIPAddresses.delete':
        return this.#publicIps.delete(req, name);
      default:
        return cloudError(405, 'MethodNotAllowed', `${req.method} is not supported on ${path}.`);
    }
  }

  #operationName(method: string, kind: string, childKind: string | undefined, health: boolean): string {
    const verb = method === 'GET' ? 'get' : method === 'PUT' ? 'createOrUpdate' : method === 'DELETE' ? 'delete' : method.toLowerCase();
    if (health) return 'loadBalancingRules.health';
    return `${childKind ?? kind}.${verb}`;
  }

  #id(kind: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.Network/${kind}/${name}`;
  }

  #etag(): string {
    return `W/"${randomUUID()}"`;
  }

  #notFound(kind: string, name: string): ArmReply {
    return cloudError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.Network/${kind}/${name}' under resource group '${this.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }

  // Load balancers.

  #getLoadBalancer(name: string): ArmReply {
    const lb = this.loadBalancers.get(name.toLowerCase());
    return lb ? { status: 200, body: lb } : this.#notFound('loadBalancers', name);
  }

  #putLoadBalancer(req: ArmRequest, name: string, body: Json): ArmReply {
    const existing = this.loadBalancers.get(name.toLowerCase());
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== existing?.etag) {
      return cloudError(412, 'PreconditionFailed', `Precondition failed: the If-Match ETag ${ifMatch} does not match the current ETag of load balancer ${name}.`);
    }
    if (req.headers['if-none-match'] === '*' && existing !== undefined) {
      return cloudError(412, 'PreconditionFailed', `Precondition failed: load balancer ${name} already exists (If-None-Match: *).`);
    }
    const built = buildLoadBalancer(name, this.#id('loadBalancers', name), body, existing, {
      publicIpId: (reference) => this.#publicIps.idOf(reference),
      nextPrivateIp: () => `10.240.0.${this.#nextPrivateIp++}`,
    });
    if ('status' in built) return built as ArmReply;
    const lb = built;
    stampLoadBalancer(lb, this.#etag(), 'Updating');
    this.loadBalancers.set(name.toLowerCase(), lb);
    const headers = this.#operations.start(req, { onDone: () => stampLoadBalancer(lb, lb.etag, 'Succeeded') }, false);
    return { status: existing === undefined ? 201 : 200, headers, body: lb };
  }

  #deleteLoadBalancer(req: ArmRequest, name: string): ArmReply {
    const lb = this.loadBalancers.get(name.toLowerCase());
    if (!lb) return { status: 204 };
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== lb.etag) {
      return cloudError(412, 'PreconditionFailed', `Precondition failed: the If-Match ETag ${ifMatch} does not match the current ETag of load balancer ${name}.`);
    }
    const headers = this.#operations.start(req, { onDone: () => this.loadBalancers.delete(name.toLowerCase()) }, true);
    return { status: 202, headers };
  }

  // Backend pools.

  #getPool(lbName: string, poolName: string): ArmReply {
    const lb = this.loadBalancers.get(lbName.toLowerCase());
    if (!lb) return this.#notFound('loadBalancers', lbName);
    const pool = this.pool(lbName, poolName);
    return pool ? { status: 200, body: pool } : cloudError(404, 'NotFound', `Resource ${lb.id}/backendAddressPools/${poolName} not found.`);
  }

  #putPool(req: ArmRequest, lbName: string, poolName: string, body: Json): ArmReply {
    const lb = this.loadBalancers.get(lbName.toLowerCase());
    if (!lb) return this.#notFound('loadBalancers', lbName);
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== lb.etag) {
      return cloudError(412, 'PreconditionFailed', `Precondition failed: the If-Match ETag ${ifMatch} does not match the current ETag of backend address pool ${poolName}.`);
    }
    const addresses = body?.properties?.loadBalancerBackendAddresses ?? [];
    const problem = checkBackendAddresses(addresses);
    if (problem) return problem;
    const pools: Json[] = lb.properties.backendAddressPools;
    let pool = pools.find((p) => p.name === poolName);
    const created = pool === undefined;
    if (!pool) {
      pool = { name: poolName, id: `${lb.id}/backendAddressPools/${poolName}`, type: CHILD_TYPES['backendAddressPools'], properties: {} };
      pools.push(pool);
    }
    pool.properties = {
      ...pool.properties,
      loadBalancerBackendAddresses: addresses.map((a: Json) => ({ name: a.name, properties: { ...a.properties } })),
      ...(body?.properties?.drainPeriodInSeconds !== undefined ? { drainPeriodInSeconds: body.properties.drainPeriodInSeconds } : {}),
    };
    stampLoadBalancer(lb, this.#etag(), 'Updating');
    const headers = this.#operations.start(req, { onDone: () => stampLoadBalancer(lb, lb.etag, 'Succeeded') }, false);
    return { status: created ? 201 : 200, headers, body: pool };
  }

  #health(req: ArmRequest, lbName: string, ruleName: string): ArmReply {
    const lb = this.loadBalancers.get(lbName.toLowerCase());
    if (!lb) return this.#notFound('loadBalancers', lbName);
    const rule = lb.properties.loadBalancingRules.find((r: Json) => r.name === ruleName);
    if (!rule) return cloudError(404, 'NotFound', `Resource ${lb.id}/loadBalancingRules/${ruleName} not found.`);
    const pool = lb.properties.backendAddressPools.find((p: Json) => p.id.toLowerCase() === String(rule.properties.backendAddressPool?.id).toLowerCase());
    const entries: Json[] = [];
    for (const a of pool?.properties.loadBalancerBackendAddresses ?? []) {
      const ip = a.properties.ipAddress as string;
      if (a.properties.adminState === 'Down') entries.push({ ipAddress: ip, state: 'Down', reason: 'Down_Admin' });
      else if (a.properties.adminState === 'Up') entries.push({ ipAddress: ip, state: 'Up', reason: 'Up_Admin' });
      else {
        const h = this.probeHealth.get(ip);
        if (h) entries.push({ ipAddress: ip, state: h.state, reason: h.reason });
      }
    }
    const result = {
      up: entries.filter((e) => e.state === 'Up').length,
      down: entries.filter((e) => e.state === 'Down').length,
      loadBalancerBackendAddresses: entries,
    };
    if (!this.healthAsync) return { status: 200, body: result };
    const headers = this.#operations.start(req, { result: { status: 200, body: result } }, true);
    return { status: 202, headers };
  }
}
