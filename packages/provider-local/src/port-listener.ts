/**
 * One TCP listener for one Service port, with its backend pool.
 *
 * Port choice: the Service's own port number when it is free on the listen address,
 * otherwise (in use, or privileged and we are not root) an ephemeral port chosen by the
 * kernel. The listener keeps its port for its whole life; the owner decides when to
 * replace it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@sluice/core';
import type { BackendPool } from './backend-pool.ts';
import type { Timers } from './options.ts';
import { proxyConnection } from './proxy.ts';

export interface PortListenerOptions {
  readonly host: string;
  readonly preferredPort: number;
  readonly pool: BackendPool;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly timers: Timers;
  readonly log: Logger;
  readonly label: string;
}

export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

export class PortListener {
  readonly pool: BackendPool;
  readonly preferredPort: number;
  readonly #server: Server;
  /** Every open client and backend socket of this listener. */
  readonly #sockets: Set<Socket>;
  readonly #address: ListenAddress;

  private constructor(server: Server, address: ListenAddress, sockets: Set<Socket>, options: PortListenerOptions) {
    this.#server = server;
    this.#address = address;
    this.#sockets = sockets;
    this.pool = options.pool;
    this.preferredPort = options.preferredPort;
  }

  /** Binds the listener; resolves once it accepts connections. */
  static async open(options: PortListenerOptions): Promise<PortListener> {
    const sockets = new Set<Socket>();
    const track = (socket: Socket): void => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      track(client);
      proxyConnection(client, {
        pick: (tried) => options.pool.pick(tried),
        onConnectFailure: (entry, reason) => entry.checker.recordFailure(reason),
        track,
        connectRetries: options.connectRetries,
        connectTimeoutMs: options.connectTimeoutMs,
        timers: options.timers,
        log: options.log,
        label: options.label,
      });
    });
    const port = await listenPreferred(server, options.host, options.preferredPort);
    // Errors after listening (EMFILE on accept and the like) must not crash the process.
    server.on('error', (error) => options.log.error('listener error', { listener: options.label, error: error.message }));
    return new PortListener(server, { address: options.host, port }, sockets, options);
  }

  get address(): ListenAddress {
    return this.#address;
  }

  /**
   * Stops accepting, destroys every open client and backend connection of this listener
   * (the load balancer port is gone, so are its flows) and stops health checking.
   */
  async close(): Promise<void> {
    this.pool.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

/** Listens on `preferredPort`, or on an ephemeral port when that one cannot be bound. */
async function listenPreferred(server: Server, host: string, preferredPort: number): Promise<number> {
  try {
    return await listenOnce(server, host, preferredPort);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    return await listenOnce(server, host, 0);
  }
}

function listenOnce(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}
