/**
 * The program the kubelet simulator runs as a pod's container (`node pod-app.ts`).
 *
 * Environment:
 * - `POD_NAME`: every response body is `POD_NAME\n`, so a test sees which pod answered.
 * - `POD_IPS` (comma-separated, primary first) or else `POD_IP`, and `PORT`: where to listen,
 *   on every address (a dual-stack pod serves on both). Without `PORT` the program only idles
 *   (a container without ports) until it is signalled.
 * - `SIGTERM_BEHAVIOUR`: `keep-serving` (default) ignores SIGTERM and serves until SIGKILL,
 *   like an app that never drains; `close` stops accepting at once, lets requests in flight
 *   finish, closes idle keep-alive connections and exits when the last one is gone.
 *
 * Every response carries `x-pod-address`, the pod address the request came in on.
 * `GET /healthz` answers `ok` for the readiness probe, until SIGTERM under `close`;
 * `GET /slow?ms=N` answers like any other path, after N milliseconds (for in-flight requests).
 * Once listening on every address it prints `listening <ip>:<port> ...` on stdout, which the
 * simulator takes as "container started". Plain node:http only, so it starts fast.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

const podName = process.env['POD_NAME'] ?? 'unknown';
const hosts = (process.env['POD_IPS'] || process.env['POD_IP'] || '127.0.0.1').split(',').filter(Boolean);
const port = process.env['PORT'] ? Number(process.env['PORT']) : undefined;
const behaviour = process.env['SIGTERM_BEHAVIOUR'] || 'keep-serving';

let draining = false;

function answer(res: ServerResponse, status: number, body: string): void {
  // A response written after SIGTERM closes its connection, so keep-alive clients move on.
  // x-pod-address: the pod address the request came in on (which family, on a dual-stack pod).
  const headers: Record<string, string> = { 'content-type': 'text/plain', 'x-pod-address': res.req.socket.localAddress ?? '' };
  if (draining) headers['connection'] = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://pod');
  if (url.pathname === '/healthz') {
    answer(res, draining ? 503 : 200, draining ? 'draining\n' : 'ok\n');
    return;
  }
  if (url.pathname === '/slow') {
    // A request that stays in flight for `ms` milliseconds (at most a minute), for drain tests.
    const ms = Math.min(60_000, Number(url.searchParams.get('ms') ?? '1000') || 0);
    setTimeout(() => answer(res, 200, `${podName}\n`), ms);
    return;
  }
  answer(res, 200, `${podName}\n`);
}

/** One server per address, all answering alike. */
const servers: Server[] = hosts.map(() => {
  const server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  server.on('request', (_req, res) => {
    res.on('finish', () => {
      if (draining) server.closeIdleConnections();
    });
  });
  return server;
});

process.on('SIGTERM', () => {
  if (behaviour !== 'close') {
    process.stdout.write('SIGTERM ignored (keep-serving)\n');
    return;
  }
  if (draining) return;
  draining = true;
  process.stdout.write('SIGTERM: draining\n');
  if (port === undefined) process.exit(0);
  // close() stops accepting and fires 'close' once every connection has ended; idle
  // keep-alive connections would otherwise hold it open until their timeout. The program
  // exits once every address has closed.
  let open = servers.length;
  for (const server of servers) {
    server.close(() => {
      if (--open === 0) process.exit(0);
    });
    server.closeIdleConnections();
  }
});

if (port === undefined) {
  process.stdout.write('listening none\n');
  setInterval(() => {}, 1 << 30);
} else {
  const where = (host: string) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  void Promise.all(servers.map((server, i) => new Promise<void>((resolve) => server.listen(port, hosts[i], resolve)))).then(() =>
    process.stdout.write(`listening ${hosts.map(where).join(' ')}\n`),
  );
}
