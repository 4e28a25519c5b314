/**
 * The control API's wire contract, shared by the server and the client: HTTP/1.1 + JSON
 * over a UNIX domain socket, every path under `/v1`, errors as
 * `{ "error": { "name", "message", "field"?, "code"? } }` with a status per error class.
 */
import { ConflictError, ControlApiError, DataPlaneError, InvalidSpecError, ListenError, NotFoundError } from '../errors.ts';

export interface ErrorBody {
  readonly error: {
    readonly name: string;
    readonly message: string;
    readonly field?: string;
    readonly code?: string;
  };
}

/** The paths of the control API; every name is one URL-encoded path segment. */
export const paths = {
  ping: '/v1/ping',
  state: '/v1/state',
  scopedState: (prefix: string) => `/v1/state/${encodeURIComponent(prefix)}`,
  stats: '/v1/stats',
  timeScale: '/v1/time-scale',
  listener: (name: string) => `/v1/listeners/${encodeURIComponent(name)}`,
  targetGroup: (name: string) => `/v1/target-groups/${encodeURIComponent(name)}`,
  healthCheck: (group: string) => `/v1/target-groups/${encodeURIComponent(group)}/health-check`,
  targets: (group: string) => `/v1/target-groups/${encodeURIComponent(group)}/targets`,
  register: (group: string) => `/v1/target-groups/${encodeURIComponent(group)}/targets/register`,
  deregister: (group: string) => `/v1/target-groups/${encodeURIComponent(group)}/targets/deregister`,
  firewallDefault: '/v1/firewall/default',
  firewallRule: (name: string) => `/v1/firewall/rules/${encodeURIComponent(name)}`,
} as const;

/** The HTTP status an error is answered with. */
export function statusOf(error: unknown): number {
  if (error instanceof InvalidSpecError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError || error instanceof ListenError) return 409;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof DataPlaneError) {
    return {
      error: {
        name: error.name,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error instanceof ListenError && error.code !== undefined ? { code: error.code } : {}),
      },
    };
  }
  return { error: { name: 'DataPlaneError', message: error instanceof Error ? error.message : String(error) } };
}

/** The typed error an error response stands for, so remote callers catch the same classes as in-process ones. */
export function errorFromResponse(status: number, body: unknown): DataPlaneError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (typeof error?.message !== 'string') {
    return new ControlApiError(`The data plane answered HTTP ${status} without an error body.`, { status });
  }
  const options = error.field === undefined ? {} : { field: error.field };
  switch (error.name) {
    case 'InvalidSpecError':
      return new InvalidSpecError(error.message, options);
    case 'NotFoundError':
      return new NotFoundError(error.message, options);
    case 'ConflictError':
      return new ConflictError(error.message, options);
    case 'ListenError':
      return new ListenError(error.message, { ...options, ...(error.code === undefined ? {} : { code: error.code }) });
    case 'ControlApiError':
      return new ControlApiError(error.message, { ...options, status });
    default:
      return new DataPlaneError(error.message, options);
  }
}
