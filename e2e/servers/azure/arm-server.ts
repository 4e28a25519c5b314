/**
 * The Azure Resource Manager test server for Sluice's Azure e2e job: an HTTPS server on
 * 127.0.0.1 speaking ARM's Microsoft.Network API (load balancers and their children, public
 * IP addresses; virtual networks and NICs to read) and the Entra ID token endpoints, so the
 * real `@azure/identity` and `@azure/arm-network` work against it unchanged.
 *
 * Identity requests go to entra.ts; ARM requests through arm-pipeline.ts; every request,
 * answered or failed, lands in the request log. Nothing here connects anywhere except the
 * backend health probes (see backend-health.ts) and the loopback sockets clients open.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { isRequestAbandoned } from '../kit/fault-transport.ts';
import { FaultBox, type Faults } from '../kit/faults.ts';
import { limiterFor, type RateLimiter, type RateLimitSetting } from '../kit/rate-limiter.ts';
import { type LoggedRequest as KitLoggedRequest, type RequestLog as KitRequestLog, RequestRecorder } from '../kit/request-log.ts';
import { type Now, realSleep, type Sleep } from '../kit/time.ts';
import { createTokenSigner } from './access-token.ts';
import type { ArmContext, ArmResponse, HealthCheckMode } from './arm-context.ts';
import { ArmError, isArmError } from './arm-errors.ts';
import { createArmOperations, type OperationFault, type OperationTiming } from './arm-operations.ts';
import { answerArm, header, type RequestTrace, readBody } from './arm-pipeline.ts';
import { type ArmState, createArmState } from './arm-state.ts';
import { ArmStore } from './arm-store.ts';
import { ARM_DEFAULT_LIMITS, type ArmLimitName } from './arm-throttling.ts';
import { BackendHealth } from './backend-health.ts';
import { type DiscoveryProxy, INTERCEPTED_HOSTS, startDiscoveryProxy } from './discovery-proxy.ts';
import { type EntraIdentity, entraOperation, handleEntra } from './entra.ts';
import { ALLOW_ALL, type RolePermission } from './permissions.ts';
import { SlbDataPlane, type SlbDataPlaneOptions } from './slb-dataplane.ts';
import { createTlsMaterial } from './tls-material.ts';

/**
 * One request the server answered (or left unanswered because of a fault). `operation` is
 * the Swagger operationId (`LoadBalancers_CreateOrUpdate`, `AsyncOperation_Get`), `Entra_*`
 * for identity, `Unknown` when unrouted.
 */
export interface LoggedRequest extends KitLoggedRequest {
  /** The Host header: `127.0.0.1:<port>`, or `login.microsoftonline.com` for discovery through the proxy. */
  readonly host: string;
  readonly service: 'arm' | 'entra';
}

export type RequestLog = KitRequestLog<LoggedRequest>;

export interface ArmServerOptions {
  /**
   * Items per page of every list; more items come through `nextLink`.
   * @default 2
   */
  readonly pageSize?: number;
  /**
   * How long asynchronous operations stay InProgress (time, or number of status polls).
   * @default { durationMs: 300 }
   */
  readonly operations?: OperationTiming;
  /**
   * The `Retry-After` (seconds) sent with 201/202 answers and InProgress polls. 0 lets the
   * SDK poll at its own `updateIntervalInMs`.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
  /**
   * How the rule health query decides health when neither adminState nor `state.setHealth`
   * does: `probe` uses the rule's probe as the load balancer would (TCP connect, or HTTP(S)
   * GET of its requestPath needing 200, on the probe's port); `tcp-backend-port` does a TCP
   * connect to the rule's backend port.
   * @default 'probe'
   */
  readonly healthCheck?: HealthCheckMode;
  /**
   * Timeout of one health probe, in milliseconds.
   * @default 500
   */
  readonly healthTimeoutMs?: number;
  /**
   * The one service principal the identity endpoint knows.
   * @default a random tenant id, client id and secret
   */
  readonly identity?: Partial<EntraIdentity>;
  /**
   * Lifetime of issued access tokens, in seconds.
   * @default 3600
   */
  readonly tokenLifetimeSeconds?: number;
  /**
   * Start the loopback discovery proxy that lets an unchanged DefaultAzureCredential resolve
   * this authority (see discovery-proxy.ts); its URL goes into `env.HTTPS_PROXY`.
   * @default true
   */
  readonly discoveryProxy?: boolean;
  /**
   * The clock, in milliseconds (operation timing, token lifetimes, rate limits, log times).
   * @default Date.now
   */
  readonly now?: Now;
  /**
   * ARM's request throttling (arm-throttling.ts): `true` for the documented token buckets,
   * or single limits replaced or switched off, and the clock they read. Off by default so
   * the e2e jobs are not slowed; a job or test asks for it.
   * @default false
   */
  readonly rateLimits?: RateLimitSetting<ArmLimitName>;
  /**
   * Waits out injected latency and held requests.
   * @default real timers
   */
  readonly sleep?: Sleep;
  /**
   * Run the Standard load balancer twin's data plane (slb-dataplane.ts): public IPs get
   * loopback addresses (127.77.0.0/24), every TCP rule of a Standard load balancer listens on
   * its frontend and forwards to its pool's addresses, and rule health comes from the data
   * plane's probes.
   * @default off: no traffic is carried, health is probed by the server (backend-health.ts)
   */
  readonly dataPlane?: SlbDataPlaneOptions;
  /**
   * Regions (e.g. `westeurope`) where `loadBalancingRules/{rule}/health` is not available, as
   * on Azure where the API is not offered in every region: it answers 400
   * `OperationNotSupportedInRegion` for load balancers there.
   * @default every region has it
   */
  readonly ruleHealthUnavailableIn?: readonly string[];
  /**
   * The role definitions assigned to every calling principal, as the permissions API lists
   * them (permissions.ts); the twin checks them only there.
   * @default one role granting `*`
   */
  readonly callerRoles?: readonly RolePermission[];
  /**
   * Directory for the temporary TLS material.
   * @default os.tmpdir()
   */
  readonly tmpDir?: string;
}

export interface ArmServer {
  /** `https://127.0.0.1:<port>`: the ARM endpoint to point the SDK at. */
  readonly endpoint: string;
  /** The same server, as `AZURE_AUTHORITY_HOST`. */
  readonly authorityHost: string;
  /** The CA certificate file, for `NODE_EXTRA_CA_CERTS` (or an SDK's `tlsOptions.ca`). */
  readonly caPath: string;
  readonly caPem: string;
  /** `http://127.0.0.1:<port>` of the discovery proxy; undefined when disabled. */
  readonly proxyUrl: string | undefined;
  readonly identity: EntraIdentity;
  /**
   * Environment for a child process using `DefaultAzureCredential` unchanged: AZURE_TENANT_ID,
   * AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST, AZURE_TOKEN_CREDENTIALS,
   * NODE_EXTRA_CA_CERTS, AZURE_ARM_ENDPOINT and, with the proxy, HTTPS_PROXY and NO_PROXY.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly state: ArmState;
  readonly faults: Faults<OperationFault>;
  readonly requests: RequestLog;
  /** The rate limits in force; undefined when off. */
  readonly rateLimits: RateLimiter | undefined;
  /** The Standard load balancer twin's data plane; undefined unless `dataPlane` was given. */
  readonly dataPlane: SlbDataPlane | undefined;
  /** Switches the rule-health API off (or back on) in a region, as `ruleHealthUnavailableIn` does at start. */
  setRuleHealthAvailable(region: string, available: boolean): void;
  /** Replaces the caller's roles (undefined: back to granting `*`), as `callerRoles` does at start. */
  setCallerRoles(roles: readonly RolePermission[] | undefined): void;
  stop(): Promise<void>;
}

export async function startArmServer(options: ArmServerOptions = {}): Promise<ArmServer> {
  const now = options.now ?? Date.now;
  const identity: EntraIdentity = {
    tenantId: options.identity?.tenantId ?? randomUUID(),
    clientId: options.identity?.clientId ?? randomUUID(),
    clientSecret: options.identity?.clientSecret ?? randomBytes(24).toString('base64url'),
  };
  const tls = createTlsMaterial({ extraDnsNames: INTERCEPTED_HOSTS, ...(options.tmpDir ? { parentDir: options.tmpDir } : {}) });
  const signer = createTokenSigner(now);
  const store = new ArmStore();
  const operations = createArmOperations(now, options.operations ?? {});
  const faults = new FaultBox<OperationFault>({ defaultErrorStatus: 500, defaultOperationFault: {} });
  const limits = limiterFor(options.rateLimits, ARM_DEFAULT_LIMITS, now);
  const sleep = options.sleep ?? realSleep;
  const health = new BackendHealth(options.healthTimeoutMs !== undefined ? { timeoutMs: options.healthTimeoutMs } : {});
  const requests = new RequestRecorder<LoggedRequest>();
  if (options.dataPlane) store.publicAddresses = 'loopback';
  const dataPlane = options.dataPlane ? await SlbDataPlane.start(store, () => operations.settle(), options.dataPlane) : undefined;
  const healthOffIn = new Set((options.ruleHealthUnavailableIn ?? []).map((r) => r.toLowerCase()));
  let callerRoles = options.callerRoles ?? ALLOW_ALL;
  let endpoint = '';
  const ctx = (): ArmContext => ({
    store,
    operations,
    faults,
    health,
    endpoint,
    pageSize: options.pageSize ?? 2,
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    healthCheck: options.healthCheck ?? 'probe',
    dataPlane,
    ruleHealthUnavailableIn: [...healthOffIn],
    callerRoles: () => callerRoles,
  });

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | undefined) => {
    res.writeHead(status, body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', endpoint);
    let raw = '';
    const requestId = randomUUID();
    const base: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': header(req, 'x-ms-correlation-request-id') ?? randomUUID(),
      'Cache-Control': 'no-cache',
    };
    const clientRequestId = header(req, 'x-ms-client-request-id');
    if (clientRequestId) base['x-ms-client-request-id'] = clientRequestId;
    const entra = entraOperation(method, url.pathname);
    const trace: RequestTrace = { operation: entra ?? 'Unknown' };
    let status = 500;
    try {
      raw = await readBody(req);
      if (entra !== undefined) {
        const answer = handleEntra(entra, { method, url, headers: req.headers, body: raw }, { identity, authorityHost: endpoint, signer, tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600 });
        status = answer.status;
        send(res, status, { ...base, ...answer.headers }, answer.body);
        return;
      }
      let answer: ArmResponse;
      try {
        answer = await answerArm(req, url, raw, { signer, faults, operations, limits, sleep, context: ctx }, trace);
      } catch (e) {
        if (isRequestAbandoned(e)) {
          status = 0;
          res.destroy();
          return;
        }
        const error = isArmError(e) ? e : new ArmError(500, 'InternalServerError', `The ARM test server failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        answer = { status: error.status, body: error.toBody(), headers: error.headers };
      }
      status = answer.status;
      const headers: Record<string, string> = { ...base, ...(answer.headers ?? {}) };
      if (answer.body === undefined || method === 'HEAD') {
        send(res, status, headers, undefined);
      } else {
        send(res, status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(answer.body));
      }
    } catch (e) {
      status = isArmError(e) ? e.status : 500;
      const body = isArmError(e) ? e.toBody() : new ArmError(500, 'InternalServerError', String(e)).toBody();
      if (!res.headersSent) send(res, status, { ...base, 'Content-Type': 'application/json; charset=utf-8' }, JSON.stringify(body));
      else res.destroy();
    } finally {
      const service = entra !== undefined ? 'entra' : 'arm';
      if (dataPlane && service === 'arm' && method !== 'GET' && status < 300) void dataPlane.sync().catch(() => {});
      requests.record({ method, host: header(req, 'host') ?? '', path: url.pathname, operation: trace.operation, status, service, at: now(), ...(trace.fault ? { fault: trace.fault } : {}) });
    }
  }

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    void onRequest(req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (e) {
    tls.remove();
    await dataPlane?.stop();
    throw e;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the ARM test server has no port');
  endpoint = `https://127.0.0.1:${address.port}`;
  let proxy: DiscoveryProxy | undefined;
  if (options.discoveryProxy ?? true) {
    try {
      proxy = await startDiscoveryProxy({ accept: (socket: Socket) => server.emit('connection', socket) });
    } catch (e) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      tls.remove();
      await dataPlane?.stop();
      throw e;
    }
  }
  const env: Record<string, string> = {
    AZURE_TENANT_ID: identity.tenantId,
    AZURE_CLIENT_ID: identity.clientId,
    AZURE_CLIENT_SECRET: identity.clientSecret,
    AZURE_AUTHORITY_HOST: endpoint,
    AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    AZURE_ARM_ENDPOINT: endpoint,
    NODE_EXTRA_CA_CERTS: tls.caPath,
  };
  if (proxy) {
    env['HTTPS_PROXY'] = proxy.url;
    env['NO_PROXY'] = '127.0.0.1,localhost,::1,[::1]';
  }
  let stopped = false;
  // The keys must not outlive a test process that forgets stop(); SIGKILL still can leave them.
  const removeOnExit = () => tls.remove();
  process.once('exit', removeOnExit);
  return {
    endpoint,
    authorityHost: endpoint,
    caPath: tls.caPath,
    caPem: tls.caPem,
    proxyUrl: proxy?.url,
    identity,
    env,
    state: createArmState(store, operations, health),
    faults,
    requests,
    rateLimits: limits,
    dataPlane,
    setCallerRoles(roles) {
      callerRoles = roles ?? ALLOW_ALL;
    },
    setRuleHealthAvailable(region, available) {
      if (available) healthOffIn.delete(region.toLowerCase());
      else healthOffIn.add(region.toLowerCase());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await proxy?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      process.removeListener('exit', removeOnExit);
      tls.remove();
      await dataPlane?.stop();
    },
  };
}
