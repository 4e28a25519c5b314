/**
 * A Compute Engine v1 REST test server on 127.0.0.1: NEGs and their endpoints, regional
 * health checks, backend services, target TCP proxies and forwarding rules, operations,
 * seeded networks/subnetworks/zones. It answers in GCE's shapes and errors, applies rate
 * quotas when asked (compute-quotas.ts), injects faults, logs every request and checks every
 * exchange against the SDK's protos (proto-check.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DataPlane } from '@sluice/dataplane';
import type { AddressInfo } from 'node:net';
import { enactTransportFault, isRequestAbandoned } from '../kit/fault-transport.ts';
import { FaultBox, type Faults } from '../kit/faults.ts';
import { limiterFor, type RateLimiter, type RateLimitSetting } from '../kit/rate-limiter.ts';
import { type FaultKind, type LoggedRequest, type RequestLog, RequestRecorder } from '../kit/request-log.ts';
import { matchRoute } from '../kit/router.ts';
import { type Now, realSleep, type Sleep } from '../kit/time.ts';
import type { ComputeContext, RequestInfo, Route } from './compute-context.ts';
import { COMPUTE_DEFAULT_LIMITS, type ComputeLimitName, computeCharges, QUOTA_NAMES, regionFromZoneName } from './compute-quotas.ts';
import { type ComputeState, createComputeState } from './compute-state.ts';
import { ComputeStore } from './compute-store.ts';
import { EndpointHealth } from './endpoint-health.ts';
import { badRequest, GceError, isGceError, methodNotAllowed, rateLimited, serverError, unknownPath } from './gce-errors.ts';
import { type OperationError, type OperationTiming, Operations } from './gce-operations.ts';
import { isObject, type JsonObject } from './json.ts';
import { loadProtoChecker, type ProtoChecker } from './proto-check.ts';
import { ProxyNlbTwin } from './proxy-nlb.ts';
import { addressRoutes } from './routes-addresses.ts';
import { backendServiceRoutes } from './routes-backend-services.ts';
import { frontendRoutes } from './routes-frontends.ts';
import { healthCheckRoutes } from './routes-health-checks.ts';
import { negRoutes } from './routes-negs.ts';
import { networkRoutes, operationRoutes } from './routes-operations.ts';
import { firewallRoutes } from './vpc-firewall.ts';

export interface ComputeServerOptions {
  /** Operation progress. @default { pollsBeforeDone: 0, delayMs: 0, waitTimeoutMs: 120000 } */
  readonly operations?: OperationTiming;
  /** TCP connect timeout of health probes, ms. @default 1000 */
  readonly probeTimeoutMs?: number;
  /** A shared checker (loading the protos takes a moment). @default a new one */
  readonly protoChecker?: ProtoChecker;
  /** Clock for timestamps, operation delays and rate quotas. @default Date.now */
  readonly now?: Now;
  /**
   * Compute's per-minute rate quotas (compute-quotas.ts): `true` for the defaults, or single
   * limits replaced or switched off, and the clock they read. Off by default so the e2e jobs
   * are not slowed; a job or test asks for it.
   * @default false
   */
  readonly rateLimits?: RateLimitSetting<ComputeLimitName>;
  /**
   * The status of a quota error: 429 (RESOURCE_EXHAUSTED) as Google's REST APIs answer, or
   * 403 as the Compute rate-quota page states (see gce-errors.ts `rateLimited`).
   * @default 429
   */
  readonly throttleStatus?: 403 | 429;
  /** Waits out injected latency and held requests. @default real timers */
  readonly sleep?: Sleep;
  /**
   * The proxy-NLB twin's data plane (proxy-nlb.ts): programmed after every accepted change,
   * it carries the traffic of every forwarding rule, and the health the API reports is its
   * view. Without it health comes from a TCP connect per read (endpoint-health.ts) and no
   * traffic flows.
   * @default none
   */
  readonly dataPlane?: DataPlane;
  /**
   * The /24 ephemeral forwarding rule IPs are handed out from, `a.b.c.0/24`. With a data plane
   * it must be a loopback block (127.0.0.0/8), whose addresses the listeners bind.
   * @default '203.0.113.0/24' (TEST-NET-3) without a data plane, '127.77.0.0/24' with one
   */
  readonly addressBlock?: string;
}

export interface ComputeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Client options for any `@google-cloud/compute` client (add `authClient`). */
  readonly clientOptions: { readonly apiEndpoint: string; readonly port: number; readonly protocol: 'http' };
  readonly state: ComputeState;
  readonly faults: Faults<OperationError>;
  readonly requests: RequestLog;
  /** The rate quotas in force; undefined when off. */
  readonly rateLimits: RateLimiter | undefined;
  readonly protoCheck: ProtoChecker;
  /** The twin's data plane, when the server has one. */
  readonly twin: ProxyNlbTwin | undefined;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
const WRITES = /\.(insert|delete|patch|update|attachNetworkEndpoints|detachNetworkEndpoints|set[A-Z]\w*)$/;

export async function startComputeServer(options: ComputeServerOptions = {}): Promise<ComputeServer> {
  const now = options.now ?? Date.now;
  const store = new ComputeStore(now);
  const faults = new FaultBox<OperationError>({ defaultErrorStatus: 503, defaultOperationFault: {} });
  const limits = limiterFor(options.rateLimits, COMPUTE_DEFAULT_LIMITS, now);
  const sleep = options.sleep ?? realSleep;
  const throttleStatus = options.throttleStatus ?? 429;
  const addressBlock = options.addressBlock ?? (options.dataPlane ? '127.77.0.0/24' : '203.0.113.0/24');
  const block = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)0\/24$/.exec(addressBlock);
  if (!block || (options.dataPlane && !addressBlock.startsWith('127.'))) {
    throw new Error(`addressBlock is ${JSON.stringify(addressBlock)}: it must be a /24 such as 127.77.0.0/24 (loopback when the server has a data plane).`);
  }
  const twin = options.dataPlane ? new ProxyNlbTwin({ dataPlane: options.dataPlane, bindable: (ip) => ip.startsWith(block[1]!) }) : undefined;
  const ctx: ComputeContext = {
    store,
    operations: new Operations(store, now, options.operations),
    faults,
    health: new EndpointHealth(options.probeTimeoutMs),
    endpoints: new Map(),
    zones: new Map(),
    nextAddress: 10,
    addressPrefix: block[1]!,
    twin,
  };
  const routes: Route[] = [...negRoutes(), ...healthCheckRoutes(), ...backendServiceRoutes(), ...frontendRoutes(), ...operationRoutes(), ...networkRoutes(), ...firewallRoutes(), ...addressRoutes()];
  const log = new RequestRecorder<LoggedRequest>();
  const regionOfZone = (project: string, zone: string) => ctx.zones.get(project)?.get(zone) ?? regionFromZoneName(zone);
  const protoCheck = options.protoChecker ?? loadProtoChecker();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let restMethod = 'unknown';
    let fault: FaultKind | undefined;
    let status = 200;
    let body: unknown;
    let parsed: unknown;
    try {
      const m = matchRoute(routes, method, url.pathname);
      if (m.kind === 'none') throw unknownPath(url.pathname);
      if (m.kind === 'method') throw methodNotAllowed(method, url.pathname);
      restMethod = m.route.operation;
      if (raw.length > 0) {
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw badRequest(`Invalid JSON payload received. ${raw.slice(0, 40)}`);
        }
      }
      // The SDK sends `""` as the body of bodiless POSTs such as `operations.wait`.
      if (parsed === '') parsed = undefined;
      if (parsed !== undefined && !isObject(parsed)) throw badRequest('Invalid JSON payload received. Expected an object.');
      if (limits !== undefined) {
        const decision = limits.take(computeCharges(m.route, m.params, regionOfZone));
        if (!decision.allowed) {
          fault = 'rate-limited';
          const names = QUOTA_NAMES[decision.limit as ComputeLimitName];
          throw rateLimited(m.params.project ?? 'unknown', names.metric, names.limit, throttleStatus);
        }
      }
      const decision = faults.decide(method, restMethod);
      if (decision !== undefined) {
        fault = decision.fault?.kind ?? 'latency';
        await enactTransportFault(decision, req.socket, sleep);
        if (decision.fault?.kind === 'throttle') throw rateLimited(m.params.project ?? 'unknown', 'Queries', 'Queries per minute', throttleStatus);
        if (decision.fault?.kind === 'error') throw serverError(decision.fault.status);
      }
      const info: RequestInfo = { method, params: m.params, query: url.searchParams, body: (parsed as JsonObject | undefined) ?? {}, restMethod };
      body = await m.route.handler(ctx, info);
      // The data plane follows the change before the caller learns it was accepted.
      if (twin && WRITES.test(restMethod)) await twin.sync(ctx);
    } catch (err) {
      if (isRequestAbandoned(err)) {
        res.destroy();
        log.record({ method, path: url.pathname, operation: restMethod, status: 0, at: now(), ...(fault ? { fault } : {}) });
        return;
      }
      const e = isGceError(err) ? err : new GceError(500, 'backendError', err instanceof Error ? err.message : String(err));
      status = e.status;
      body = e.body();
    }
    protoCheck.check(method, url.pathname, url.searchParams, parsed, status, body);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    log.record({ method, path: url.pathname, operation: restMethod, status, at: now(), ...(fault ? { fault } : {}) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    clientOptions: { apiEndpoint: '127.0.0.1', port, protocol: 'http' },
    state: createComputeState(ctx),
    faults,
    requests: log,
    rateLimits: limits,
    protoCheck,
    twin,
    close: async () => {
      ctx.operations.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
