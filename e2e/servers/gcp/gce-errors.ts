/**
 * Compute Engine error bodies, in the shape the v1 REST API sends them:
 * `{"error":{"code":404,"message":"…","errors":[{"message":"…","domain":"global","reason":"notFound"}]}}`.
 * Handlers throw {@link GceError}; the server turns it into the response.
 */

export interface GceErrorItem {
  readonly message: string;
  readonly domain: string;
  readonly reason: string;
  readonly location?: string;
  readonly locationType?: string;
}

export class GceError extends Error {
  override readonly name = 'GceError';
  readonly status: number;
  readonly reason: string;
  readonly domain: string;
  readonly extra: Partial<GceErrorItem>;

  constructor(status: number, reason: string, message: string, options: { domain?: string; extra?: Partial<GceErrorItem> } = {}) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.domain = options.domain ?? 'global';
    this.extra = options.extra ?? {};
  }

  /** The JSON body Google sends for this error. */
  body(): { error: Record<string, unknown> } {
    const item: GceErrorItem = { message: this.message, domain: this.domain, reason: this.reason, ...this.extra };
    const error: Record<string, unknown> = { code: this.status, message: this.message, errors: [item] };
    // Quota errors are the ones the API also marks with the canonical status name.
    if (this.status === 429) error.status = 'RESOURCE_EXHAUSTED';
    return { error };
  }
}

export function isGceError(value: unknown): value is GceError {
  return value instanceof Error && value.name === 'GceError';
}

/** `path` is the resource's relative name, e.g. `projects/p/zones/z/networkEndpointGroups/x`. */
export function notFound(path: string): GceError {
  return new GceError(404, 'notFound', `The resource '${path}' was not found`);
}

export function alreadyExists(path: string): GceError {
  return new GceError(409, 'alreadyExists', `The resource '${path}' already exists`);
}

export function invalid(message: string): GceError {
  return new GceError(400, 'invalid', message);
}

export function badRequest(message: string): GceError {
  return new GceError(400, 'badRequest', message);
}

/** `kind` is the snake_case type name GCE uses in this message, e.g. `health_check`. */
export function resourceInUse(kind: string, path: string, user: string): GceError {
  return new GceError(400, 'resourceInUseByAnotherResource', `The ${kind} resource '${path}' is already being used by '${user}'`);
}

export function staleFingerprint(): GceError {
  return new GceError(412, 'conditionNotMet', 'Invalid fingerprint.', { extra: { location: 'If-Match', locationType: 'header' } });
}

/**
 * A rate quota ran out. The body follows Google's error model with reason `rateLimitExceeded`
 * and domain `usageLimits`; the message names the quota metric and limit the way Google's
 * quota errors do. `status` is 429 by default (Google's "Troubleshoot quota errors": REST
 * quota errors are 429 TOO MANY REQUESTS, with the canonical status RESOURCE_EXHAUSTED);
 * Compute Engine's own "Rate quotas" page says a rate quota answers 403 with the same reason,
 * which `status: 403` reproduces.
 */
export function rateLimited(project: string, metric = 'Queries', limit = 'Queries per minute', status: 403 | 429 = 429): GceError {
  return new GceError(
    status,
    'rateLimitExceeded',
    `Quota exceeded for quota metric '${metric}' and limit '${limit}' of service 'compute.googleapis.com' for consumer 'project_number:${project}'.`,
    { domain: 'usageLimits' },
  );
}

export function serverError(status: number): GceError {
  if (status === 503) return new GceError(503, 'backendError', 'The service is currently unavailable.');
  return new GceError(status, 'backendError', 'Internal error. Please try again or contact Google Support.');
}

export function methodNotAllowed(method: string, path: string): GceError {
  return new GceError(405, 'httpMethodNotAllowed', `HTTP method ${method} is not supported by this URL: ${path}`);
}

export function unknownPath(path: string): GceError {
  return new GceError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
}
