/**
 * The ARM request pipeline, in the order ARM applies it: route the path (to learn the
 * operation), authenticate (a bearer token this server issued; else 401), check the
 * api-version (required; any date accepted, since the SDK's may differ from the published
 * 2024-05-01), apply the rate limits when they are on (arm-throttling.ts), apply faults
 * (429 / 5xx, latency, held or dropped connections), parse the JSON body, settle due
 * asynchronous operations, and run the route's handler. Failures are thrown as ArmErrors;
 * a request a fault leaves unanswered rejects with the kit's RequestAbandoned.
 */
import type { IncomingMessage } from 'node:http';
import { enactTransportFault } from '../kit/fault-transport.ts';
import type { FaultBox } from '../kit/faults.ts';
import type { RateLimiter } from '../kit/rate-limiter.ts';
import type { FaultKind } from '../kit/request-log.ts';
import { matchRoute } from '../kit/router.ts';
import type { Sleep } from '../kit/time.ts';
import type { TokenSigner } from './access-token.ts';
import type { ArmContext, ArmRequest, ArmResponse, Route } from './arm-context.ts';
import { ArmError, authenticationFailed, invalidApiVersion, invalidAuthenticationToken, invalidRequestContent, missingApiVersion, noRoute, notImplemented, serverError, tooManyRequests } from './arm-errors.ts';
import type { ArmOperations, OperationFault } from './arm-operations.ts';
import { type ArmCall, armCharges, remainingHeaders, subscriptionRequestsThrottled } from './arm-throttling.ts';
import type { Json } from './json.ts';
import { permissionRoutes } from './permissions.ts';
import { healthRoutes } from './routes-health.ts';
import { loadBalancerChildRoutes } from './routes-lb-children.ts';
import { loadBalancerRoutes } from './routes-load-balancers.ts';
import { networkRoutes } from './routes-networks.ts';
import { nsgRoutes } from './routes-nsgs.ts';
import { operationRoutes } from './routes-operations.ts';
import { publicIpRoutes } from './routes-public-ips.ts';
import { resourceGroupRoutes } from './routes-resource-groups.ts';

export const ROUTES: readonly Route[] = [
  ...operationRoutes,
  ...resourceGroupRoutes,
  ...loadBalancerRoutes,
  ...loadBalancerChildRoutes,
  ...healthRoutes,
  ...publicIpRoutes,
  ...networkRoutes,
  ...nsgRoutes,
  ...permissionRoutes,
];

/** The Swagger operationIds the server answers (routes that only say "not implemented" excluded). */
export function implementedOperations(): Set<string> {
  return new Set(ROUTES.filter((r) => r.implemented).map((r) => r.operation));
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const MAX_BODY = 8 * 1024 * 1024;

/** The request body as text (at most 8 MiB). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new ArmError(413, 'RequestEntityTooLarge', 'The request content is larger than 8 MiB.'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface PipelineDeps {
  readonly signer: TokenSigner;
  readonly faults: FaultBox<OperationFault>;
  readonly operations: ArmOperations;
  /** The rate limits; undefined when they are off. */
  readonly limits: RateLimiter | undefined;
  /** Waits out injected latency and holds. */
  readonly sleep: Sleep;
  readonly context: () => ArmContext;
}

/** What the pipeline learned about a request, for the request log. */
export interface RequestTrace {
  /** The operation name, as soon as the route is known. */
  operation: string;
  /** Set when a rate limit or a fault decided the outcome. */
  fault?: FaultKind;
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers one ARM request; `trace` learns the operation and any fault as soon as they are known. */
export async function answerArm(req: IncomingMessage, url: URL, raw: string, deps: PipelineDeps, trace: RequestTrace): Promise<ArmResponse> {
  const method = req.method ?? 'GET';
  const match = matchRoute(ROUTES, method, url.pathname, { ignoreCase: true });
  if (match.kind === 'match') trace.operation = match.route.operation;
  const auth = header(req, 'authorization');
  if (auth === undefined) throw authenticationFailed("The 'Authorization' header is missing.");
  if (!/^bearer\s+\S+/i.test(auth)) throw authenticationFailed("The 'Authorization' header is invalid: it must be 'Bearer <access token>'.");
  const check = deps.signer.verify(auth.replace(/^bearer\s+/i, '').trim());
  if (!check.ok) throw invalidAuthenticationToken(check.reason, check.code);
  const apiVersion = url.searchParams.get('api-version');
  if (apiVersion === null || apiVersion === '') throw missingApiVersion();
  if (!API_VERSION.test(apiVersion)) throw invalidApiVersion(apiVersion);
  if (match.kind === 'none') throw url.pathname.toLowerCase().startsWith('/subscriptions/') ? notImplemented(method, url.pathname) : noRoute(method, url.pathname);
  if (match.kind === 'method') {
    throw new ArmError(405, 'HttpMethodNotSupported', `The HTTP method '${method}' is not supported for ${url.pathname}; allowed: ${match.allowed.join(', ')}.`);
  }
  const call: ArmCall = { method, pattern: match.route.pattern, subscriptionId: match.params['subscriptionId'] ?? '', principal: check.claims.appid };
  if (deps.limits !== undefined) {
    const decision = deps.limits.take(armCharges(call));
    if (!decision.allowed) {
      trace.fault = 'rate-limited';
      throw subscriptionRequestsThrottled(call, decision);
    }
  }
  const decision = deps.faults.decide(method, match.route.operation);
  if (decision !== undefined) {
    trace.fault = decision.fault?.kind ?? 'latency';
    await enactTransportFault(decision, req.socket, deps.sleep);
    if (decision.fault?.kind === 'throttle') throw tooManyRequests(decision.fault.retryAfterSeconds);
    if (decision.fault?.kind === 'error') throw serverError(decision.fault.status);
  }
  let body: Json | undefined;
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw) as Json;
    } catch (e) {
      throw invalidRequestContent(e instanceof Error ? e.message : String(e));
    }
  }
  deps.operations.settle();
  const armReq: ArmRequest = { method, path: url.pathname, params: match.params, query: url.searchParams, headers: req.headers, body, apiVersion, operation: match.route.operation, principal: check.claims.appid };
  const answer = await match.route.handler(armReq, deps.context());
  return deps.limits === undefined ? answer : { ...answer, headers: { ...remainingHeaders(deps.limits, call), ...(answer.headers ?? {}) } };
}
