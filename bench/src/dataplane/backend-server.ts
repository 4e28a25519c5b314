/**
 * Child-process entry: one HTTP/1.1 backend on 127.0.0.1, an ephemeral port, keep-alive
 * on. Every response is `200` with the body `<id>\n`, so a client can tell which backend
 * answered. Sends `{ type: 'ready', port }` over IPC once listening; exits when the parent
 * goes away or sends SIGTERM.
 *
 * Usage (forked by the bench): backend-server.ts <id>
 */
import { once } from 'node:events';
import { createServer } from 'node:http';

const id = process.argv[2];
if (id === undefined || id === '' || process.send === undefined) {
  process.stderr.write('backend-server: run me with fork(file, [id]) so I have an id and an IPC channel.\n');
  process.exit(2);
}

const body = Buffer.from(`${id}\n`);
const server = createServer((request, response) => {
  // Drain any request body, then answer with the fixed body.
  request.resume();
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  response.end(body);
});
// Idle keep-alive connections stay open for the whole bench (the drain test holds one).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('backend-server: listening without a TCP port');
process.send({ type: 'ready', port: address.port });

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
