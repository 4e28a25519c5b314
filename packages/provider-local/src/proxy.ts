/**
 * Proxies one accepted client connection to a backend.
 *
 * Guarantees:
 * - The client socket stays paused (its listener uses `pauseOnConnect`) until a backend has
 *   accepted, so no client byte is read before there is somewhere to send it, and a failed
 *   attempt can be retried on another backend without the client noticing.
 * - A connect that fails before the backend accepted (refused, unreachable, timed out) is
 *   reported through `onConnectFailure` and retried on a backend not tried yet, at most
 *   `connectRetries` times; then the client is reset.
 * - Once connected the two sockets are piped both ways: backpressure is the pipe's,
 *   half-close is forwarded (both sockets allow half-open, so a FIN from one side ends
 *   only that direction), and an error on either side destroys the other. A normal close
 *   destroys nothing, so bytes still queued for the peer are delivered.
 * - No socket is ever left without an 'error' listener.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from '@sluice/core';
import { hostPort } from './address-range.ts';
import type { Timers } from './options.ts';

export interface Upstream {
  /** Distinguishes registrations, so a retry never picks the same one twice. */
  readonly id: number;
  readonly ip: string;
  readonly port: number;
}

export interface ProxyOptions<U extends Upstream> {
  /** The next backend to try, excluding those in `tried`; undefined when none is left. */
  pick(tried: ReadonlySet<number>): U | undefined;
  onConnectFailure(upstream: U, reason: string): void;
  /** Receives every backend socket the proxy opens, so its owner can destroy it on close. */
  track(socket: Socket): void;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly timers: Timers;
  readonly log: Logger;
  /** Included in log lines, e.g. `default/web:http`. */
  readonly label: string;
}

class ConnectTimeoutError extends Error {
  override name = 'ConnectTimeoutError';
  readonly code = 'ETIMEDOUT';
}

export function proxyConnection<U extends Upstream>(client: Socket, options: ProxyOptions<U>): void {
  const { log, timers } = options;
  const tried = new Set<number>();
  let upstream: Socket | undefined;
  let clientGone = false;

  client.on('error', () => {
    clientGone = true;
    upstream?.destroy();
  });
  client.once('close', () => {
    clientGone = true;
  });

  const attempt = (): void => {
    const target = options.pick(tried);
    if (target === undefined) {
      log.debug('no backend available; resetting the client connection', { listener: options.label, tried: tried.size });
      client.resetAndDestroy();
      return;
    }
    tried.add(target.id);
    const socket = connect({ host: target.ip, port: target.port, allowHalfOpen: true });
    options.track(socket);
    upstream = socket;
    let connected = false;
    const timer = timers.setTimeout(() => socket.destroy(new ConnectTimeoutError()), options.connectTimeoutMs);

    socket.once('connect', () => {
      connected = true;
      timers.clearTimeout(timer);
      if (clientGone) {
        socket.destroy();
        return;
      }
      client.pipe(socket);
      socket.pipe(client);
    });

    socket.on('error', (error: NodeJS.ErrnoException) => {
      timers.clearTimeout(timer);
      if (connected) {
        client.destroy();
        return;
      }
      const reason = error.code ?? error.message;
      options.onConnectFailure(target, reason);
      if (clientGone) return;
      if (tried.size <= options.connectRetries) {
        log.debug('backend connect failed; retrying on another backend', {
          listener: options.label,
          backend: hostPort(target.ip, target.port),
          reason,
        });
        attempt();
        return;
      }
      log.warn('every backend tried refused the connection; resetting the client connection', {
        listener: options.label,
        tried: tried.size,
        reason,
      });
      client.resetAndDestroy();
    });
  };

  attempt();
}
