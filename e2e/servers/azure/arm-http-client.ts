/**
 * A minimal HTTPS client for the ARM test server, for tests and the spec replay: it trusts
 * the server's CA, gets a token through the server's own client-credentials endpoint and
 * sends raw requests, so status codes, headers and bodies can be checked exactly as sent
 * (the SDK would hide them).
 */
import { request } from 'node:https';
import type { EntraIdentity } from './entra.ts';
import type { Json } from './json.ts';

export interface ArmHttpTarget {
  readonly endpoint: string;
  readonly caPem: string;
  readonly identity: EntraIdentity;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The parsed JSON body, when there is one. */
  readonly body: Json | undefined;
}

export interface RawRequestOptions {
  readonly body?: Json | string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The api-version query parameter; null sends none.
   * @default the client's api-version
   */
  readonly apiVersion?: string | null;
  /**
   * Send the bearer token.
   * @default true
   */
  readonly auth?: boolean;
}

export interface ArmHttpClient {
  /** Sends a request to a path (or an absolute URL such as a nextLink or operation URL). */
  send(method: string, pathOrUrl: string, options?: RawRequestOptions): Promise<RawResponse>;
  /** A token from the server's identity endpoint (cached). */
  token(): Promise<string>;
  /** Polls an Azure-AsyncOperation URL until the operation ends; returns its final status. */
  waitForOperation(asyncOperationUrl: string, timeoutMs?: number): Promise<string>;
}

export interface ArmHttpClientOptions {
  /** @default '2024-05-01' */
  readonly apiVersion?: string;
}

export function rawRequest(target: ArmHttpTarget, method: string, url: URL, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: target.caPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        let parsed: Json | undefined;
        try {
          parsed = text === '' ? undefined : (JSON.parse(text) as Json);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: flat, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function createArmHttpClient(target: ArmHttpTarget, options: ArmHttpClientOptions = {}): ArmHttpClient {
  const apiVersion = options.apiVersion ?? '2024-05-01';
  let cached: string | undefined;
  const client: ArmHttpClient = {
    async token() {
      if (cached) return cached;
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: target.identity.clientId,
        client_secret: target.identity.clientSecret,
        scope: 'https://management.azure.com/.default',
      }).toString();
      const res = await rawRequest(target, 'POST', new URL(`${target.endpoint}/${target.identity.tenantId}/oauth2/v2.0/token`), { 'Content-Type': 'application/x-www-form-urlencoded' }, form);
      const token = (res.body as { access_token?: string } | undefined)?.access_token;
      if (res.status !== 200 || !token) throw new Error(`token request failed: ${res.status} ${res.text}`);
      cached = token;
      return token;
    },
    async send(method, pathOrUrl, opts = {}) {
      const url = new URL(pathOrUrl, target.endpoint);
      const version = opts.apiVersion === undefined ? apiVersion : opts.apiVersion;
      if (version !== null && !url.searchParams.has('api-version')) url.searchParams.set('api-version', version);
      const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
      if (opts.auth ?? true) headers['Authorization'] = `Bearer ${await client.token()}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['Content-Type'] ??= 'application/json';
      }
      return rawRequest(target, method, url, headers, body);
    },
    async waitForOperation(asyncOperationUrl, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const res = await client.send('GET', asyncOperationUrl);
        const status = (res.body as { status?: string } | undefined)?.status;
        if (res.status !== 200 || status === undefined) throw new Error(`operation poll failed: ${res.status} ${res.text}`);
        if (status !== 'InProgress') return status;
        if (performance.now() > deadline) throw new Error(`operation ${asyncOperationUrl} still InProgress after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  return client;
}
