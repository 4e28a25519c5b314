/**
 * One TCP listener: the socket, its spec and counters, and every socket it carries.
 *
 * Port choice: exactly the spec's port, or nothing: opening rejects with a ListenError and
 * never falls back to another port, because callers advertise that port. Port 0 alone means
 * an ephemeral port chosen by the kernel. Accepted sockets stay paused (`pauseOnConnect`)
 * until a target accepted, so no client byte is read before there is somewhere to send it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { hostPort } from './address-range.ts';
import { type CidrSet, parseCidrs } from './cidr-set.ts';
import { ListenError } from './errors.ts';
import type { ResolvedListenerSpec } from './spec.ts';
import { type ListenerCounters, type ListenerStats, listenerCounters } from './stats.ts';
import type { Logger } from './timers.ts';

/** A proxied connection as its listener sees it. */
export interface ListenerConnection {
  bytes(): { readonly in: number; readonly out: number };
}

export class Listener {
  #spec: ResolvedListenerSpec;
  #sourceRanges: CidrSet;
  readonly counters: ListenerCounters = listenerCounters();
  /** Proxied connections open now. */
  readonly connections = new Set<ListenerConnection>();
  readonly bound: { readonly address: string; readonly port: number };
  readonly #server: Server;
  /** Every open client and target socket of this listener. */
  readonly #sockets = new Set<Socket>();

  private constructor(spec: ResolvedListenerSpec, server: Server, port: number) {
    this.#spec = spec;
    this.#sourceRanges = parseCidrs('listener.sourceRanges', spec.sourceRanges);
    this.#server = server;
    this.bound = { address: spec.address, port };
  }

  /**
   * Binds `spec.address` and exactly `spec.port` and resolves once it accepts connections;
   * rejects with a ListenError, having opened nothing, when it cannot bind.
   */
  static async open(spec: ResolvedListenerSpec, onClient: (listener: Listener, client: Socket) => void, log: Logger): Promise<Listener> {
    let self: Listener | undefined;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      if (self === undefined) {
        client.resetAndDestroy();
        return;
      }
      self.track(client);
      onClient(self, client);
    });
    let port: number;
    try {
      port = await listenOnce(server, spec.address, spec.port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ListenError(
        `Listener ${spec.name} cannot listen on ${hostPort(spec.address, spec.port)}: ${listenProblem(code, error)}.`,
        { cause: error, field: 'listener.port', ...(code === undefined ? {} : { code }) },
      );
    }
    // Errors after listening (EMFILE on accept and the like) must not crash the process.
    server.on('error', (error) => log.error('listener error', { listener: spec.name, error: error.message }));
    self = new Listener(spec, server, port);
    return self;
  }

  get spec(): ResolvedListenerSpec {
    return this.#spec;
  }

  /** Applies a spec with the same address and port to the next connection. */
  set spec(spec: ResolvedListenerSpec) {
    this.#sourceRanges = parseCidrs('listener.sourceRanges', spec.sourceRanges);
    this.#spec = spec;
  }

  /** Whether a client at `address` is inside the source ranges (no ranges: every client). */
  admits(address: string | undefined): boolean {
    return this.#sourceRanges.cidrs.length === 0 || this.#sourceRanges.contains(address);
  }

  /** Keeps `socket` until it closes, so `close()` can destroy it. */
  track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  stats(): ListenerStats {
    const bytes = [...this.connections].map((c) => c.bytes());
    return {
      name: this.#spec.name,
      ...this.counters,
      bytesIn: this.counters.bytesIn + bytes.reduce((sum, b) => sum + b.in, 0),
      bytesOut: this.counters.bytesOut + bytes.reduce((sum, b) => sum + b.out, 0),
      active: this.connections.size,
    };
  }

  /** Stops accepting and destroys every open client and target socket (the port is gone, so are its flows). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

function listenProblem(code: string | undefined, error: unknown): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'the port is in use by another listener or program (EADDRINUSE); choose a free port';
    case 'EACCES':
      return 'ports below 1024 need root or the CAP_NET_BIND_SERVICE capability (EACCES); choose a port from 1024 up';
    case 'EADDRNOTAVAIL':
      return 'the address is not an address of this host (EADDRNOTAVAIL)';
    default:
      return error instanceof Error ? error.message : String(error);
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
