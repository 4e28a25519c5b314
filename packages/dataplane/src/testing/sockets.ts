/**
 * Helpers for testing against a data plane, on loopback only: backends that identify
 * themselves, a capturing backend for PROXY headers, an HTTP health endpoint, a line client
 * and polling. Published as `@sluice/dataplane/testing` for the providers built on the engine.
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Address {
  readonly address: string;
  readonly port: number;
}

export interface TestBackend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** The remote addresses of accepted connections, in order. */
  readonly peers: readonly string[];
  /** Stops listening and destroys every open connection (the port then refuses). */
  close(): Promise<void>;
}

/**
 * A backend that writes `<id>\n` on every new connection, then echoes each line back
 * prefixed with its id (`<id>:<line>\n`).
 */
export async function startBackend(id: string, host = '127.0.0.1'): Promise<TestBackend> {
  const sockets = new Set<Socket>();
  const peers: string[] = [];
  let accepted = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    peers.push(socket.remoteAddress ?? '');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(`${id}\n`);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        socket.write(`${id}:${buffered.slice(0, newline)}\n`);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    socket.on('end', () => socket.end(`${id}:bye\n`));
  });
  const port = await listen(server, host);
  return {
    id,
    host,
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    peers,
    close: () => closeServer(server, sockets),
  };
}

export interface CaptureBackend {
  readonly port: number;
  /** The bytes the next connection sent, once `complete` says they are all there. */
  nextCapture(complete: (data: Buffer) => boolean): Promise<Buffer>;
  close(): Promise<void>;
}

/** A backend that records what each connection sends and answers `ok\n` once it is complete. */
export async function startCaptureBackend(host = '127.0.0.1'): Promise<CaptureBackend> {
  const sockets = new Set<Socket>();
  const waiters: { readonly complete: (data: Buffer) => boolean; readonly resolve: (data: Buffer) => void }[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let data = Buffer.alloc(0);
    let done = false;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const waiter = waiters[0];
      if (!done && waiter !== undefined && waiter.complete(data)) {
        done = true;
        waiters.shift();
        waiter.resolve(data);
        socket.end('ok\n');
      }
    });
  });
  const port = await listen(server, host);
  return {
    port,
    nextCapture: (complete) => new Promise((resolve) => waiters.push({ complete, resolve })),
    close: () => closeServer(server, sockets),
  };
}

export interface HttpHealthBackend {
  readonly port: number;
  /** The status answered on the health path from now on. */
  status: number;
  /** Paths requested so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** An HTTP server answering every request with `status` (200 at first). */
export async function startHttpBackend(host = '127.0.0.1'): Promise<HttpHealthBackend> {
  const requests: string[] = [];
  const state = { status: 200 };
  const server = createHttpServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(state.status, { connection: 'close' }).end('health\n');
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port nothing listens on (it was free a moment ago). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  const port = await listen(server, host);
  server.close();
  await once(server, 'close');
  return port;
}

/** A client that reads newline-terminated lines. */
export class LineClient {
  readonly socket: Socket;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #buffered = '';
  #ended = false;
  /** Whether the connection has closed (by either side). */
  closed = false;
  /** Whether the peer has ended its side (FIN) or the connection closed. */
  ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffered += chunk;
      let newline = this.#buffered.indexOf('\n');
      while (newline >= 0) {
        this.#push(this.#buffered.slice(0, newline));
        this.#buffered = this.#buffered.slice(newline + 1);
        newline = this.#buffered.indexOf('\n');
      }
    });
    const finish = (): void => {
      this.#ended = true;
      this.ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    };
    socket.on('end', finish);
    socket.on('close', () => {
      this.closed = true;
      finish();
    });
    socket.on('error', () => {});
  }

  static async connect(address: Address): Promise<LineClient> {
    const socket = connect({ host: address.address, port: address.port, allowHalfOpen: true });
    const client = new LineClient(socket);
    await once(socket, 'connect');
    return client;
  }

  /** The next line, or undefined once the connection ended without one. */
  nextLine(timeoutMs = 5000): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  /** Sends a line and returns the backend's echo of it. */
  async roundTrip(line: string): Promise<string | undefined> {
    this.socket.write(`${line}\n`);
    return this.nextLine();
  }

  close(): void {
    this.socket.destroy();
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#lines.push(line);
    else waiter(line);
  }
}

/** Connects through the load balancer and returns the id of the backend that answered (undefined: refused or reset). */
export async function whoAnswers(address: Address): Promise<string | undefined> {
  const client = await LineClient.connect(address).catch(() => undefined);
  if (client === undefined) return undefined;
  try {
    return await client.nextLine();
  } finally {
    client.close();
  }
}

/** Connects and counts the bytes received until the connection closes (reset or not). */
export function bytesBeforeClose(address: Address): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.address, port: address.port });
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

/**
 * Runs `count` connections, `concurrency` at a time (one after another by default), and counts
 * answers per backend id (`none` for a refusal).
 */
export async function countAnswers(address: Address, count: number, concurrency = 1): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const id = (await whoAnswers(address)) ?? 'none';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return counts;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function listen(server: Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  for (const socket of sockets) socket.destroy();
  await closed;
}
