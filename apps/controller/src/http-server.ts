/**
 * The controller's plain-HTTP endpoints: /metrics, /healthz (the process answers) and
 * /readyz (caches synced when leading; campaigning when standing by; never while stopping).
 * Metrics and probes may share one address or use two.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from './flags.ts';

export interface Endpoints {
  /** GET /metrics; undefined on an address that serves only probes. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  /** GET /healthz and /readyz; undefined on an address that serves only metrics. */
  readonly probes?: { readonly ready: () => { ready: boolean; reason: string } };
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

export async function startHttpEndpoint(flag: string, address: ListenAddress, endpoints: Endpoints): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (path === '/metrics' && endpoints.metrics) {
      endpoints.metrics().then(
        (m) => send(200, m.body, m.contentType),
        (error: unknown) => send(500, `metrics failed: ${(error as Error)?.message}\n`),
      );
      return;
    }
    if (path === '/healthz' && endpoints.probes) return send(200, 'ok\n');
    if (path === '/readyz' && endpoints.probes) {
      const r = endpoints.probes.ready();
      return send(r.ready ? 200 : 503, `${r.reason}\n`);
    }
    send(404, 'not found\n');
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ListenError(`--${flag} ${address.host}:${address.port} cannot be used: ${error.code ?? error.message}.`, { cause: error })),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
