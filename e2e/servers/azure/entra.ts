/**
 * The Entra ID (Azure AD) endpoints a confidential client needs for the client-credentials
 * flow, as MSAL Node calls them when `AZURE_AUTHORITY_HOST` points here:
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` (authority metadata; its `issuer`
 *   must share this server's origin, which MSAL checks),
 * - `GET /common/discovery/instance` (cloud instance discovery; MSAL asks
 *   login.microsoftonline.com for it unless instance discovery is disabled, which is what the
 *   discovery proxy routes here),
 * - `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`,
 * - `GET /{tenant}/discovery/v2.0/keys` (empty: tokens are HMAC-signed and only this server verifies them).
 * Errors are Entra's: `{ error, error_description: "AADSTS…", error_codes, timestamp, trace_id, correlation_id }`.
 */
import { randomUUID } from 'node:crypto';
import type { TokenSigner } from './access-token.ts';

export interface EntraIdentity {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface EntraRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface EntraAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface EntraContext {
  readonly identity: EntraIdentity;
  /** `https://127.0.0.1:<port>`: the authority host, whatever Host the request came in with. */
  readonly authorityHost: string;
  readonly signer: TokenSigner;
  readonly tokenLifetimeSeconds: number;
}

/** The operation name of an Entra route (for the request log), or undefined when `pathname` is not one. */
export function entraOperation(method: string, pathname: string): string | undefined {
  const p = pathname.replace(/\/+$/, '');
  if (method === 'GET' && /^\/[^/]+\/(v2\.0\/)?\.well-known\/openid-configuration$/i.test(p)) return 'Entra_OpenIdConfiguration';
  if (method === 'GET' && /^\/[^/]+\/discovery\/instance$/i.test(p)) return 'Entra_InstanceDiscovery';
  if (method === 'GET' && /^\/[^/]+\/discovery\/(v2\.0\/)?keys$/i.test(p)) return 'Entra_Keys';
  if (method === 'POST' && /^\/[^/]+\/oauth2\/(v2\.0\/)?token$/i.test(p)) return 'Entra_Token';
  return undefined;
}

function json(status: number, value: unknown): EntraAnswer {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store, no-cache' }, body: JSON.stringify(value) };
}

function entraError(status: number, error: string, aadsts: number, description: string): EntraAnswer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return json(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  });
}

function tenantOf(pathname: string): string {
  return decodeURIComponent(pathname.split('/')[1] ?? '');
}

function knownTenant(tenant: string, identity: EntraIdentity): boolean {
  return tenant.toLowerCase() === identity.tenantId.toLowerCase();
}

function openIdConfiguration(tenant: string, host: string): unknown {
  const base = `${host}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${host}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid', 'ver', 'oid'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/**
 * Instance discovery: this server's authority host is a known instance (its own alias);
 * any other authority is answered `invalid_instance`, as Entra answers hosts it does not know.
 */
function instanceDiscovery(url: URL, ctx: EntraContext): EntraAnswer {
  const endpoint = url.searchParams.get('authorization_endpoint') ?? '';
  let authority: URL | undefined;
  try {
    authority = new URL(endpoint);
  } catch {
    authority = undefined;
  }
  const ours = new URL(ctx.authorityHost).host;
  if (authority === undefined || authority.host !== ours) {
    return entraError(400, 'invalid_instance', 50049, 'Unknown or invalid instance.');
  }
  const tenant = authority.pathname.split('/')[1] || 'common';
  return json(200, {
    tenant_discovery_endpoint: `${ctx.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: ours, preferred_cache: ours, aliases: [ours] }],
  });
}

function basicCredentials(headers: EntraRequest['headers']): { id: string; secret: string } | undefined {
  const auth = headers['authorization'];
  if (typeof auth !== 'string' || !auth.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

function token(req: EntraRequest, ctx: EntraContext): EntraAnswer {
  const tenant = tenantOf(req.url.pathname);
  if (!knownTenant(tenant, ctx.identity)) {
    return entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
  }
  const form = new URLSearchParams(req.body);
  const grant = form.get('grant_type');
  if (grant !== 'client_credentials') {
    return entraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant ?? ''}'. This test identity endpoint issues tokens for client_credentials only.`);
  }
  const basic = basicCredentials(req.headers);
  const clientId = form.get('client_id') ?? basic?.id ?? '';
  const secret = form.get('client_secret') ?? basic?.secret;
  if (clientId !== ctx.identity.clientId) {
    return entraError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
  }
  if (secret === undefined) {
    return entraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (secret !== ctx.identity.clientSecret) {
    return entraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
  }
  const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
  const scope = scopes[0];
  if (scope === undefined || !scope.endsWith('/.default')) {
    return entraError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const aud = scope.slice(0, -'.default'.length);
  const { token: accessToken } = ctx.signer.sign({ aud, iss: `https://sts.windows.net/${ctx.identity.tenantId}/`, tid: ctx.identity.tenantId, appid: clientId }, ctx.tokenLifetimeSeconds);
  return json(200, { token_type: 'Bearer', expires_in: ctx.tokenLifetimeSeconds, ext_expires_in: ctx.tokenLifetimeSeconds, access_token: accessToken });
}

/** Answers one Entra request; `operation` comes from {@link entraOperation}. */
export function handleEntra(operation: string, req: EntraRequest, ctx: EntraContext): EntraAnswer {
  switch (operation) {
    case 'Entra_OpenIdConfiguration': {
      const tenant = tenantOf(req.url.pathname);
      if (!knownTenant(tenant, ctx.identity) && !['common', 'organizations'].includes(tenant.toLowerCase())) {
        return entraError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      }
      return json(200, openIdConfiguration(tenant, ctx.authorityHost));
    }
    case 'Entra_InstanceDiscovery':
      return instanceDiscovery(req.url, ctx);
    case 'Entra_Keys':
      return json(200, { keys: [] });
    case 'Entra_Token':
      return token(req, ctx);
    default:
      return entraError(404, 'invalid_request', 900561, `The endpoint ${req.method} ${req.url.pathname} is not served by this test identity endpoint.`);
  }
}
