/**
 * One TCP listener for one Service port, with its backend pool.
 *
 * Port choice: exactly the Service's port number, or nothing: opening rejects with the
 * bind error (EADDRINUSE, EACCES, ...) and never falls back to another port, because the
 * Service status advertises the Service's port and a client sent there must reach this
 * Service, not whatever else holds the port. Port 0 alone means an ephemeral port chosen by
 * the kernel (for tests and embedding; a Kubernetes Service port is never 0). The listener
 * keeps its port for its whole life; the owner decides when to replace it.
 *
 * Source ranges: a client outside the Service's ranges is reset at accept, before any byte
 * is read from it and before any backend connection is opened. The filter is read at each
 * accept, so a change applies to the next connection; connections already open are left.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@sluice/core';
import type { BackendPool } from './backend-pool.ts';
import type { Timers } from './options.ts';
import { proxyConnection } from './proxy.ts';
import type { SourceFilter } from './source-ranges.ts';

export interface PortListenerOptions {
  readonly host: string;
  /** The port to bind, exactly; 0 binds an ephemeral port. */
  readonly port: number;
  readonly pool: BackendPool;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly timers: Timers;
  readonly log: Logger;
  /** Names the listener in log lines, e.g. `default/web:http`. */
  readonly label: string;
  /** The clients served from the first connection on; {@link PortListener.sourceFilter} changes it. */
  readonly sourceFilter: SourceFilter;
}

export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

export class PortListener {
  readonly pool: BackendPool;
  /**
   * Names the listener in log lines. The owner changes it when the listener is handed
   * to a renamed Service port with the same number; lines written afterwards use the new one.
   */
  label: string;
  /** The clients this listener serves; the owner replaces it when the Service's source ranges change. */
  sourceFilter: SourceFilter;
  readonly #server: Server;
  /** Every open client and backend socket of this listener. */
  readonly #sockets: Set<Socket>;
  readonly #address: ListenAddress;

  private constructor(server: Server, address: ListenAddress, sockets: Set<Socket>, options: PortListenerOptions) {
    this.#server = server;
    this.#address = address;
    this.#sockets = sockets;
    this.pool = options.pool;
    this.label = options.label;
    this.sourceFilter = options.sourceFilter;
  }

  /**
   * Binds exactly `options.port` (0: an ephemeral port) and resolves once the listener
   * accepts connections; rejects with the bind error, having opened nothing, when the port
   * cannot be bound.
   */
  static async open(options: PortListenerOptions): Promise<PortListener> {
    let self: PortListener | undefined;
    const sockets = new Set<Socket>();
    const track = (socket: Socket): void => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    let refused = 0;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      const filter = self?.sourceFilter ?? options.sourceFilter;
      const from = client.remoteAddress;
      if (!filter.admits(from)) {
        refused++;
        client.on('error', () => {});
        client.resetAndDestroy();
        options.log.debug('refused a client outside the source ranges', {
          listener: self?.label ?? options.label,
          client: from ?? 'unknown',
          sourceRanges: filter.text,
          refused,
        });
        return;
      }
      track(client);
      proxyConnection(client, {
        pick: (tried) => options.pool.pick(tried),
        onConnectFailure: (entry, reason) => entry.checker.recordFailure(reason),
        track,
        connectRetries: options.connectRetries,
        connectTimeoutMs: options.connectTimeoutMs,
        timers: options.timers,
        log: options.log,
        label: self?.label ?? options.label,
      });
    });
    const port = await listenOnce(server, options.host, options.port);
    // Errors after listening (EMFILE on accept and the like) must not crash the process.
    server.on('error', (error) => options.log.error('listener error', { listener: self?.label ?? options.label, error: error.message }));
    self = new PortListener(server, { address: options.host, port }, sockets, options);
    return self;
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
