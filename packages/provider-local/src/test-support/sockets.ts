/**
 * Test helpers: tiny backend servers that identify themselves, a line-oriented client,
 * and polling. Test-only; excluded from the build.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type { ListenAddress } from '../local-load-balancer.ts';

export interface TestBackend {
  readonly id: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Stops listening and destroys every open connection (the port then refuses). */
  close(): Promise<void>;
}

/**
 * A backend on 127.0.0.1 that writes `<id>\n` on every new connection, then echoes each
 * line back prefixed with its id (`<id>:<line>\n`), so both directions are observable.
 */
export async function startBackend(id: string): Promise<TestBackend> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
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
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('backend has no port');
  return {
    id,
    port: address.port,
    get accepted() {
      return accepted;
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A port that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  server.close();
  await once(server, 'close');
  return address.port;
}

/** A client that reads newline-terminated lines. */
export class LineClient {
  readonly socket: Socket;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #buffered = '';
  #ended = false;

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
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => {});
  }

  static async connect(address: ListenAddress): Promise<LineClient> {
    const socket = connect({ host: address.address, port: address.port, allowHalfOpen: true });
    const client = new LineClient(socket);
    await once(socket, 'connect');
    return client;
  }

  /** The next line, or undefined once the connection ended without one. */
  nextLine(timeoutMs = 2000): Promise<string | undefined> {
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

/** Connects through the load balancer and returns the id of the backend that answered. */
export async function whoAnswers(address: ListenAddress): Promise<string | undefined> {
  // A reset can beat the connect callback; that also means nobody answered.
  const client = await LineClient.connect(address).catch(() => undefined);
  if (client === undefined) return undefined;
  try {
    return await client.nextLine();
  } finally {
    client.close();
  }
}

/** Runs `count` connections, `concurrency` at a time, and counts answers per backend id. */
export async function countAnswers(address: ListenAddress, count: number, concurrency = 10): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const id = (await whoAnswers(address)) ?? 'none';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
