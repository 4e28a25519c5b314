/**
 * A minimal Kubernetes REST client over one keep-alive HTTPS agent, for harness code that
 * writes thousands of objects. client-node 2.0.1 builds a new undici Agent for every request,
 * so each call pays a fresh TCP and TLS handshake (on both ends: on a 2-core machine the
 * API server spends more CPU on handshakes than on the writes); this client reuses
 * connections. Errors carry the HTTP status as `code`, like client-node's, so
 * {@link apiStatus} and {@link describeApiError} work on them.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** Options for {@link createKubeRest}. */
export interface KubeRestOptions {
  /**
   * Most connections open at once; requests beyond it wait for a free one.
   * @default 64
   */
  maxSockets?: number;
  /**
   * Per-request timeout in milliseconds.
   * @default 60000
   */
  timeoutMs?: number;
}

/** An API error: `code` is the HTTP status, `body` the response text. */
export class KubeRestError extends Error {
  override name = 'KubeRestError';
  readonly code: number;
  readonly body: string;

  constructor(method: string, path: string, code: number, body: string) {
    super(`${method} ${path}: HTTP ${code}`);
    this.code = code;
    this.body = body;
  }
}

/** Content types of the PATCH flavours the API server takes. */
export const PATCH_TYPES = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export interface KubeRest {
  /**
   * Sends one request; resolves with the parsed JSON answer (undefined for an empty one) or
   * rejects with a {@link KubeRestError} for a status of 300 or more. `timeoutMs` overrides
   * the client's timeout for this request (a DELETE of a large collection takes a while).
   */
  request<T = unknown>(method: string, path: string, body?: unknown, contentType?: string, timeoutMs?: number): Promise<T>;
  /** Closes idle connections; requests in flight finish. */
  close(): void;
}

/** A client for the current context of `kubeConfig` (server, CA, client certificate or token). */
export async function createKubeRest(kubeConfig: KubeConfig, options: KubeRestOptions = {}): Promise<KubeRest> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster with a server URL');
  const base = new URL(server);
  const auth: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(auth);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    ...(auth.ca ? { ca: auth.ca } : {}),
    ...(auth.cert ? { cert: auth.cert } : {}),
    ...(auth.key ? { key: auth.key } : {}),
    ...(auth.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: auth.rejectUnauthorized }),
  });
  const headers = { ...(auth.headers as Record<string, string> | undefined), accept: 'application/json' };
  const defaultTimeoutMs = options.timeoutMs ?? 60_000;

  return {
    request<T>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = defaultTimeoutMs): Promise<T> {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise<T>((resolve, reject) => {
        const req = request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            path: `${base.pathname.replace(/\/$/, '')}${path}`,
            method,
            agent,
            timeout: timeoutMs,
            headers: {
              ...headers,
              ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const status = res.statusCode ?? 0;
              if (status >= 300) {
                reject(new KubeRestError(method, path, status, text));
                return;
              }
              try {
                resolve((text === '' ? undefined : JSON.parse(text)) as T);
              } catch (error) {
                reject(new Error(`${method} ${path}: the answer is not JSON`, { cause: error }));
              }
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
