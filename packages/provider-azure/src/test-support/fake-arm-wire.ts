/**
 * What the fake ARM (fake-arm.ts) speaks: requests and replies as the test server passes them,
 * the calls it records, faults, ARM's CloudError body, and the two identity endpoints a
 * client-secret DefaultAzureCredential needs (OpenID metadata and the token endpoint).
 */
export interface ArmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly origin: string;
}

export interface ArmReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One request as the fake understood it. */
export interface ArmCall {
  readonly operation: string;
  readonly method: string;
  readonly name: string;
  readonly ifMatch: string | undefined;
  readonly body: Json | undefined;
}

export interface FakeFault {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** How many calls fail; default every call. */
  readonly times?: number;
}

export interface FakeProbeHealth {
  readonly state: 'Up' | 'Down';
  readonly reason: string;
}

// biome-ignore lint/suspicious/noExplicitAny: ARM JSON is free-form; the fake reads and writes it directly.
export type Json = any;


/** ARM's error body: `{ error: { code, message, details } }`. */
export const cloudError = (status: number, code: string, message: string, headers?: Record<string, string>): ArmReply => ({
  status,
  ...(headers ? { headers } : {}),
  body: { error: { code, message, details: [] } },
});

/** The OpenID metadata (`what`: `v2.0/.well-known/openid-configuration`) or a token (`oauth2/v2.0/token`) of `tenant`. */
export function identityReply(req: ArmRequest, tenant: string, token: string, what: string): ArmReply {
  const base = `${req.origin}/${tenant}`;
  if (what.startsWith('v2.0')) {
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `${base}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'token'],
      },
    };
  }
  return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
}
