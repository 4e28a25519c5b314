/**
 * The program the kubelet simulator runs as a pod's container (`node pod-app.ts`).
 *
 * Environment:
 * - `POD_NAME`: every response body is `POD_NAME\n`, so a test sees which pod answered.
 * - `POD_IP`, `PORT`: where to listen. Without `PORT` the program only idles (a container
 *   without ports) until it is signalled.
 * - `SIGTERM_BEHAVIOUR`: `keep-serving` (default) ignores SIGTERM and serves until SIGKILL,
 *   like an app that never drains; `close` stops accepting at once, lets requests in flight
 *   finish, closes idle keep-alive connections and exits when the last one is gone.
 *
 * `GET /healthz` answers `ok` for the readiness probe, until SIGTERM under `close`;
 * `GET /slow?ms=N` answers like any other path, after N milliseconds (for in-flight requests).
 * Once listening it prints `listening <ip>:<port>` on stdout, which the simulator takes as
 * "container started". Plain node:http only, so it starts fast.
 */
import { createServer, type ServerResponse } from 'node:http';

const podName = process.env['POD_NAME'] ?? 'unknown';
const host = process.env['POD_IP'] || '127.0.0.1';
const port = process.env['PORT'] ? Number(process.env['PORT']) : undefined;
const behaviour = process.env['SIGTERM_BEHAVIOUR'] || 'keep-serving';

let draining = false;

function answer(res: ServerResponse, status: number, body: string): void {
  // A response written after SIGTERM closes its connection, so keep-alive clients move on.
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (draining) headers['connection'] = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

const server = createServer((req, res) => {
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
});
server.keepAliveTimeout = 65_000;

server.on('request', (_req, res) => {
  res.on('finish', () => {
    if (draining) server.closeIdleConnections();
  });
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
  // keep-alive connections would otherwise hold it open until their timeout.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

if (port === undefined) {
  process.stdout.write('listening none\n');
  setInterval(() => {}, 1 << 30);
} else {
  server.listen(port, host, () => process.stdout.write(`listening ${host}:${port}\n`));
}
