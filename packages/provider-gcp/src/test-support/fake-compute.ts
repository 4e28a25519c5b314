/**
 * A small Compute Engine API fake on 127.0.0.1 that answers in the recorded REST shapes the
 * provider uses: regional health checks, backend services (with fingerprints: a stale one
 * gets 412 conditionNotMet), target TCP proxies and forwarding rules; zonal NEGs with
 * attach/detach/listNetworkEndpoints (paged; per endpoint health with `healthStatus: SHOW`);
 * aggregated NEG lists; getHealth; and
 * operations that are RUNNING until waited on `runningWaits` times, then DONE. Missing
 * resources answer 404 notFound, duplicates 409 alreadyExists, deleting a resource still
 * referenced 400 resourceInUseByAnotherResource. Every request is recorded; `failNext`
 * injects an error answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown> | undefined;
}

type Resource = Record<string, unknown> & { name: string };

export interface FakeComputeOptions {
  /** How many `wait` calls an operation stays RUNNING for. @default 1 */
  readonly runningWaits?: number;
  /** Page size of list answers. @default 500 */
  readonly pageSize?: number;
}

interface Injected {
  readonly match: (method: string, path: string) => boolean;
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

const REGIONAL = new Set(['healthChecks', 'backendServices', 'targetTcpProxies', 'forwardingRules', 'addresses', 'subnetworks']);

export class FakeCompute {
  readonly calls: RecordedCall[] = [];
  /** Resource path (`projects/p/regions/r/backendServices/x`) → resource. */
  readonly resources = new Map<string, Resource>();
  /** NEG path → endpoints attached. */
  readonly endpoints = new Map<string, { ipAddress: string; port: number; instance?: string }[]>();
  /** `ip|port` → health state reported by getHealth (absent: not reported). */
  readonly health = new Map<string, string>();
  readonly #ops = new Map<string, { op: Record<string, unknown>; waits: number }>();
  readonly #inject: Injected[] = [];
  readonly #runningWaits: number;
  readonly #pageSize: number;
  #server: Server | undefined;
  #seq = 0;

  constructor(options: FakeComputeOptions = {}) {
    this.#runningWaits = options.runningWaits ?? 1;
    this.#pageSize = options.pageSize ?? 500;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** The next request matching `method` and a path containing `pathPart` gets this error answer. */
  failNext(method: string, pathPart: string, status: number, reason: string, message = `injected ${reason}`): void {
    this.#inject.push({ match: (m, p) => m === method && p.includes(pathPart), status, reason, message });
  }

  /** Calls that change something (not GET, not list/wait/getHealth). */
  writes(since = 0): RecordedCall[] {
    return this.calls.slice(since).filter((c) => c.method !== 'GET' && !/\/(wait|getHealth|listNetworkEndpoints)$/.test(c.path));
  }

  /** Puts a resource in place as if someone else had created it. */
  seed(path: string, resource: Resource): void {
    this.resources.set(path, { ...resource, selfLink: `https://www.googleapis.com/compute/v1/${path}`, fingerprint: this.#fingerprint() });
  }

  #fingerprint(): string {
    return Buffer.from(`fp-${++this.#seq}`).toString('base64');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/compute\/v1\//, '');
    const method = req.method ?? 'GET';
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    this.calls.push({ method, path, query: url.searchParams, body });
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(json));
    };
    const fail = (status: number, reason: string, message: string) => send(status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
    const injected = this.#inject.findIndex((i) => i.match(method, path));
    if (injected >= 0) {
      const i = this.#inject.splice(injected, 1)[0]!;
      fail(i.status, i.reason, i.message);
      return;
    }
    try {
      this.#route(method, path, url.searchParams, body, send, fail);
    } catch (error) {
      fail(500, 'backendError', String(error));
    }
  }

  #operation(scopePath: string, target: string, kind: string): Record<string, unknown> {
    const name = `operation-${++this.#seq}`;
    const scope = scopePath.includes('/zones/') ? { zone: `https://www.googleapis.com/compute/v1/${scopePath}` } : { region: `https://www.googleapis.com/compute/v1/${scopePath}` };
    const op = { kind: 'compute#operation', id: String(this.#seq), name, operationType: kind, targetLink: `https://www.googleapis.com/compute/v1/${target}`, status: 'RUNNING', progress: 0, ...scope };
    this.#ops.set(`${scopePath}/operations/${name}`, { op, waits: 0 });
    return op;
  }

  #route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown> | undefined,
    send: (status: number, json: unknown) => void,
    fail: (status: number, reason: string, message: string) => void,
  ): unknown {
    const notFound = (p: string) => fail(404, 'notFound', `The resource '${p}' was not found`);
    let m = /^(projects\/[^/]+\/(?:regions|zones)\/[^/]+)\/operations\/([^/]+)\/wait$/.exec(path);
    if (m && method === 'POST') {
      const entry = this.#ops.get(`${m[1]}/operations/${m[2]}`);
      if (!entry) return notFound(path);
      entry.waits += 1;
      if (entry.waits > this.#runningWaits) Object.assign(entry.op, { status: 'DONE', progress: 100 });
      return send(200, entry.op);
    }
    m = /^projects\/([^/]+)\/aggregated\/networkEndpointGroups$/.exec(path);
    if (m && method === 'GET') {
      const re = filterRegex(query.get('filter'));
      const items: Record<string, { networkEndpointGroups?: Resource[]; warning?: unknown }> = {};
      for (const [p, r] of this.resources) {
        const z = /^projects\/[^/]+\/zones\/([^/]+)\/networkEndpointGroups\//.exec(p);
        if (!z || (re && !re.test(r.name))) continue;
        const key = `zones/${z[1]}`;
        (items[key] ??= { networkEndpointGroups: [] }).networkEndpointGroups!.push(r);
      }
      return send(200, { kind: 'compute#networkEndpointGroupAggregatedList', id: `projects/${m[1]}/aggregated/networkEndpointGroups`, items });
    }
    m = /^(projects\/[^/]+\/zones\/[^/]+)\/networkEndpointGroups\/([^/]+)\/(attachNetworkEndpoints|detachNetworkEndpoints|listNetworkEndpoints)$/.exec(path);
    if (m && method === 'POST') {
      const [, scope = '', negName = '', action = ''] = m;
      const negPath = `${scope}/networkEndpointGroups/${negName}`;
      if (!this.resources.has(negPath)) return notFound(negPath);
      const list = this.endpoints.get(negPath) ?? [];
      this.endpoints.set(negPath, list);
      const given = ((body?.['networkEndpoints'] as { ipAddress: string; port: number; instance?: string }[] | undefined) ?? []).map((e) => ({ ...e }));
      if (action === 'listNetworkEndpoints') {
        const start = Number(query.get('pageToken') ?? '0');
        const page = list.slice(start, start + this.#pageSize);
        const next = start + this.#pageSize < list.length ? String(start + this.#pageSize) : undefined;
        // With healthStatus SHOW: per endpoint, the state `health` holds, once per backend service the NEG backs.
        const show = body?.['healthStatus'] === 'SHOW';
        const users = show
          ? [...this.resources.entries()].filter(([p, r]) => /\/backendServices\/[^/]+$/.test(p) && ((r['backends'] as { group?: string }[] | undefined) ?? []).some((b) => b.group === negPath)).map(([p]) => p)
          : [];
        const item = (e: (typeof list)[number]) => {
          const state = this.health.get(`${e.ipAddress}|${e.port}`);
          if (!show || state === undefined || users.length === 0) return { networkEndpoint: e };
          return { networkEndpoint: e, healths: users.map((bs) => ({ backendService: { backendService: `https://www.googleapis.com/compute/v1/${bs}` }, healthState: state })) };
        };
        return send(200, { kind: 'compute#networkEndpointGroupsListNetworkEndpoints', items: page.map(item), ...(next ? { nextPageToken: next } : {}) });
      }
      if (given.length > 500) return fail(400, 'invalid', `Invalid value for field 'networkEndpoints': more than 500 endpoints.`);
      const key = (e: { ipAddress: string; port: number }) => `${e.ipAddress}|${e.port}`;
      if (action === 'attachNetworkEndpoints') {
        for (const e of given) {
          if (list.some((x) => key(x) === key(e))) return fail(400, 'invalid', `Network endpoint ${key(e)} already exists in ${negName}.`);
          list.push(e);
        }
      } else {
        for (const e of given) {
          const i = list.findIndex((x) => key(x) === key(e));
          if (i < 0) return fail(400, 'invalid', `Network endpoint ${key(e)} does not exist in ${negName}.`);
          list.splice(i, 1);
        }
      }
      return send(200, this.#operation(scope, negPath, action));
    }
    m = /^(projects\/[^/]+)\/global\/firewalls$/.exec(path);
    if (m && method === 'GET') {
      // Firewall rules: listed only (seed them); the provider deletes its own with the Service.
      const items = [...this.resources.entries()].filter(([p]) => p.startsWith(`${m![1]}/global/firewalls/`)).map(([, r]) => r);
      return send(200, { kind: 'compute#firewallList', id: `${m[1]}/global/firewalls`, items });
    }
    m = /^(projects\/[^/]+\/regions\/[^/]+)\/backendServices\/([^/]+)\/getHealth$/.exec(path);
    if (m && method === 'POST') {
      const group = String(body?.['group'] ?? '');
      const negPath = group.slice(group.indexOf('projects/'));
      const list = this.endpoints.get(negPath) ?? [];
      const healthStatus = list.filter((e) => this.health.has(`${e.ipAddress}|${e.port}`)).map((e) => ({ ipAddress: e.ipAddress, port: e.port, healthState: this.health.get(`${e.ipAddress}|${e.port}`) }));
      return send(200, { kind: 'compute#backendServiceGroupHealth', ...(healthStatus.length > 0 ? { healthStatus } : {}) });
    }
    m = /^(projects\/[^/]+\/(regions|zones)\/[^/]+)\/(healthChecks|backendServices|targetTcpProxies|forwardingRules|networkEndpointGroups|addresses|subnetworks)(?:\/([^/]+))?$/.exec(path);
    if (!m) return fail(400, 'invalid', `No such method: ${method} ${path}`);
    const [, scopePath, scopeKind, collection, name] = m as unknown as [string, string, string, string, string | undefined];
    if ((scopeKind === 'regions') !== REGIONAL.has(collection)) return fail(400, 'invalid', `${collection} is not ${scopeKind}`);
    const base = `${scopePath}/${collection}`;
    if (!name && method === 'GET') {
      const re = filterRegex(query.get('filter'));
      const items = [...this.resources.entries()].filter(([p, r]) => p.startsWith(`${base}/`) && (!re || re.test(r.name))).map(([, r]) => r);
      return send(200, { kind: `compute#${collection}List`, id: base, items });
    }
    if (!name && method === 'POST') {
      const resource = { ...(body ?? {}) } as Resource;
      const p = `${base}/${resource.name}`;
      if (this.resources.has(p)) return fail(409, 'alreadyExists', `The resource '${p}' already exists`);
      const extra: Record<string, unknown> = { kind: `compute#${collection}`, id: String(++this.#seq), creationTimestamp: '2026-11-01T00:00:00.000-07:00' };
      if (collection === 'addresses') extra['address'] = `203.0.113.${(this.#seq % 250) + 1}`;
      if (collection === 'forwardingRules') {
        // A rule on a reserved address gets its IP; else an ephemeral one.
        const named = typeof resource['IPAddress'] === 'string' ? this.resources.get(String(resource['IPAddress']).replace(/^.*?(projects\/)/, '$1')) : undefined;
        extra['IPAddress'] = named ? named['address'] : (resource['IPAddress'] ?? `203.0.113.${(this.#seq % 250) + 1}`);
      }
      if (collection === 'networkEndpointGroups') extra['size'] = 0;
      this.seed(p, { ...resource, ...extra });
      return send(200, this.#operation(scopePath, p, 'insert'));
    }
    const p = `${base}/${name}`;
    const current = this.resources.get(p);
    if (!current) return notFound(p);
    if (method === 'GET') return send(200, current);
    if (method === 'DELETE') {
      const self = p;
      for (const [other, r] of this.resources) {
        if (other !== p && JSON.stringify(r).includes(`${self}"`) && !(other.includes('/operations/'))) {
          return fail(400, 'resourceInUseByAnotherResource', `The resource '${p}' is already being used by '${other}'`);
        }
      }
      this.resources.delete(p);
      this.endpoints.delete(p);
      return send(200, this.#operation(scopePath, p, 'delete'));
    }
    if (method === 'PUT' || method === 'PATCH') {
      if (collection === 'backendServices' && body?.['fingerprint'] !== current['fingerprint']) {
        return fail(412, 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.');
      }
      const next = method === 'PUT' ? { ...(body ?? {}), name: current.name } : { ...current, ...(body ?? {}) };
      this.seed(p, { ...next, kind: current['kind'], id: current['id'], creationTimestamp: current['creationTimestamp'] } as Resource);
      return send(200, this.#operation(scopePath, p, method === 'PUT' ? 'update' : 'patch'));
    }
    return fail(400, 'invalid', `No such method: ${method} ${path}`);
  }
}

/** `name eq <regex>` → the regex (anchored, as Compute does). */
function filterRegex(filter: string | null): RegExp | undefined {
  const m = /^name eq (.+)$/.exec(filter ?? '');
  return m ? new RegExp(`^(?:${m[1]})$`) : undefined;
}
