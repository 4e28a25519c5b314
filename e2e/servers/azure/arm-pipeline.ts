/**
 * The ARM request pipeline, in the order ARM applies it: route the path (to learn the
 * operation), authenticate (a bearer token this server issued; else 401), check the
 * api-version (required; any date accepted, since the SDK's may differ from the published
 * 2024-05-01), apply armed faults (429 / 5xx), parse the JSON body, settle due
 * asynchronous operations, and run the route's handler. Failures are thrown as ArmErrors.
 */
import type { IncomingMessage } from 'node:http';
import type { TokenSigner } from './access-token.ts';
import type { ArmContext, ArmRequest, ArmResponse } from './arm-context.ts';
import { ArmError, authenticationFailed, invalidApiVersion, invalidAuthenticationToken, invalidRequestContent, missingApiVersion, noRoute, notImplemented, serverError, tooManyRequests } from './arm-errors.ts';
import type { FaultRegistry } from './faults.ts';
import type { Json } from './json.ts';
import type { OperationTracker } from './operations.ts';
import { matchRoute, type Route } from './router.ts';
import { healthRoutes } from './routes-health.ts';
import { loadBalancerChildRoutes } from './routes-lb-children.ts';
import { loadBalancerRoutes } from './routes-load-balancers.ts';
import { networkRoutes } from './routes-networks.ts';
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
  readonly faults: FaultRegistry;
  readonly operations: OperationTracker;
  readonly context: () => ArmContext;
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers one ARM request; `setOperation` learns the operation name as soon as the route is known. */
export async function answerArm(req: IncomingMessage, url: URL, raw: string, deps: PipelineDeps, setOperation: (op: string) => void): Promise<ArmResponse> {
  const method = req.method ?? 'GET';
  const match = matchRoute(ROUTES, method, url.pathname);
  if (match.kind === 'match') setOperation(match.route.operation);
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
  const fault = deps.faults.takeRequestFault(method, match.route.operation);
  if (fault?.kind === 'throttle') throw tooManyRequests(fault.retryAfterSeconds);
  if (fault?.kind === 'fail') throw serverError(fault.status);
  let body: Json | undefined;
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw) as Json;
    } catch (e) {
      throw invalidRequestContent(e instanceof Error ? e.message : String(e));
    }
  }
  deps.operations.settle();
  const armReq: ArmRequest = { method, path: url.pathname, params: match.params, query: url.searchParams, headers: req.headers, body, apiVersion, operation: match.route.operation };
  return await match.route.handler(armReq, deps.context());
}
