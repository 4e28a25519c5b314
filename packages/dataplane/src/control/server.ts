/**
 * Serves the control API for a {@link DataPlane} on a UNIX domain socket.
 *
 * The socket file: a stale one (left by a process that died; nothing accepts on it) is
 * replaced; one that something still answers on is refused with a ConflictError, so two
 * engines never fight over one path. `close()` stops serving and removes the file; the
 * data plane itself is left running (its owner closes it).
 *
 * A client that disconnects, even mid-request, changes nothing but that request: the
 * engine keeps serving traffic whoever holds the socket.
 */
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { DataPlane } from '../data-plane.ts';
import { ConflictError, InvalidSpecError } from '../errors.ts';
import { type Logger, silentLogger } from '../timers.ts';
import { errorBody, statusOf } from './protocol.ts';
import { findRoute } from './routes.ts';

export interface ControlServerOptions {
  /** The UNIX domain socket path to serve on. */
  readonly socketPath: string;
  /**
   * Where request failures (other than bad requests) are logged.
   * @default a logger that discards everything
   */
  readonly log?: Logger;
  /**
   * The largest request body accepted, in bytes.
   * @default 4194304
   */
  readonly maxBodyBytes?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  /** Stops serving, closes client connections and removes the socket file. */
  close(): Promise<void>;
}

export async function serveControlApi(plane: DataPlane, options: ControlServerOptions): Promise<ControlServer> {
  const log = options.log ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  await clearStaleSocket(options.socketPath);
  const server = createServer({ keepAlive: true }, (req, res) => {
    void handle(plane, req, res, maxBodyBytes).catch((error: unknown) => {
      log.error('control API request failed', { method: req.method, url: req.url, error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) reply(res, 500, errorBody(error));
    });
  });
  await listen(server, options.socketPath);
  // Errors after listening (EMFILE on accept and the like) must not crash the engine.
  server.on('error', (error) => log.error('control API server error', { error: error.message }));
  return {
    socketPath: options.socketPath,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function handle(plane: DataPlane, req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://dataplane');
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    reply(res, 400, errorBody(new InvalidSpecError(`The path ${url.pathname} is not valid percent-encoding; encode each name with encodeURIComponent.`)));
    return;
  }
  const method = req.method ?? 'GET';
  const found = findRoute(method, segments);
  if (found === undefined) {
    reply(res, 404, { error: { name: 'NotFoundError', message: `There is no endpoint at ${url.pathname}; the endpoints are listed in the README of @sluice/dataplane.` } });
    return;
  }
  if ('methods' in found) {
    res.setHeader('allow', found.methods.join(', '));
    reply(res, 405, { error: { name: 'InvalidSpecError', message: `${url.pathname} does not take ${method}; it takes ${found.methods.join(', ')}.` } });
    return;
  }
  const text = await readBody(req, maxBodyBytes);
  if (text === undefined) {
    reply(res, 413, errorBody(new InvalidSpecError(`The request body is larger than ${maxBodyBytes} bytes, the most this API accepts.`)));
    return;
  }
  let body: unknown;
  if (method === 'PUT' || method === 'POST') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      const problem = text.trim() === '' ? 'empty' : `not JSON (${error instanceof Error ? error.message : String(error)})`;
      reply(res, 400, errorBody(new InvalidSpecError(`The request body of ${method} ${url.pathname} is ${problem}, but it must be a JSON object.`)));
      return;
    }
  }
  try {
    const result = await found.route.handle(plane, found.name, body);
    if (result === undefined) {
      res.writeHead(204).end();
      return;
    }
    reply(res, 200, result);
  } catch (error) {
    const status = statusOf(error);
    if (status === 500) throw error;
    reply(res, status, errorBody(error));
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The body as text, or undefined when it exceeds `max` bytes (the rest is drained). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Removes a socket file nothing answers on; refuses to touch one in use or a file that is not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new ConflictError(`The control socket path ${path} exists and is not a socket; remove it or choose another --socket path.`, { field: 'socket' });
  }
  const answered = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answered) {
    throw new ConflictError(`Another process already serves a control API on ${path}; stop it or choose another --socket path.`, { field: 'socket' });
  }
  unlinkSync(path);
}
