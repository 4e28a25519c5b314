/**
 * Proxies one admitted client connection to a target of its listener's group.
 *
 * Guarantees:
 * - The client socket stays paused until a target has accepted, so no client byte is read
 *   before there is somewhere to send it, and a failed attempt can be retried on another
 *   target without the client noticing.
 * - Before each attempt the firewall judges LB -> target (source: the client's address when
 *   the group preserves client IPs, else the group's proxy source or the listener address
 *   the client reached). A dropped attempt fails at the connect timeout, as a dropped SYN does.
 * - A connect that fails before the target accepted is counted and retried on a target not
 *   tried yet, at most `connectRetries` times; then the client is reset.
 * - Once connected, the PROXY header (if configured) is written first, then the two sockets
 *   are piped both ways: backpressure is the pipe's, half-close is forwarded, an error on
 *   either side destroys the other. No socket is ever left without an 'error' listener.
 * - With an idle timeout, a connection that carries no byte either way for that long loses
 *   its flow: `reset` resets both sockets; `drop` stops relaying and answers nothing more,
 *   then lets each socket go once its own peer closes it (or the connection is terminated).
 */
import { connect, type Socket } from 'node:net';
import { hostPort } from './address-range.ts';
import type { Firewall } from './firewall.ts';
import type { Listener, ListenerConnection } from './listener.ts';
import { encodeProxyHeader } from './proxy-protocol.ts';
import type { Registration, TrackedConnection } from './registration.ts';
import type { IdleAction } from './spec.ts';
import type { TargetGroup } from './target-group.ts';
import type { Logger, TimerHandle, Timers } from './timers.ts';

export interface ProxyContext {
  readonly listener: Listener;
  readonly group: TargetGroup;
  readonly firewall: Firewall;
  readonly timers: Timers;
  readonly scale: (ms: number) => number;
  readonly log: Logger;
}

class ConnectTimeoutError extends Error {
  override name = 'ConnectTimeoutError';
  readonly code = 'ETIMEDOUT';
}

export function proxyConnection(client: Socket, context: ProxyContext): void {
  const { listener, group, timers, log } = context;
  const spec = group.spec;
  const counters = listener.counters;
  const tried = new Set<number>();
  let clientGone = false;
  let abandon: (() => void) | undefined;
  let connected = false;

  const gone = (): void => {
    if (clientGone) return;
    clientGone = true;
    if (!connected) {
      counters.clientGone++;
      abandon?.();
    }
  };
  client.on('error', gone);
  client.once('close', gone);

  const reset = (outcome: 'refusedNoTarget' | 'backendFailed'): void => {
    counters[outcome]++;
    clientGone = true;
    client.resetAndDestroy();
  };

  const failed = (target: Registration, reason: string): void => {
    abandon = undefined;
    counters.connectFailed++;
    target.counters.connectFailed++;
    target.recordConnectFailure(reason);
    if (clientGone) return;
    if (tried.size <= spec.connectRetries) {
      log.debug('target connect failed; retrying on another target', { listener: listener.spec.name, target: hostPort(target.target.ip, target.target.port), reason });
      attempt();
      return;
    }
    log.debug('every target tried failed; resetting the client', { listener: listener.spec.name, tried: tried.size, reason });
    reset('backendFailed');
  };

  const attempt = (): void => {
    const target = group.pick(tried);
    if (target === undefined) {
      reset(tried.size === 0 ? 'refusedNoTarget' : 'backendFailed');
      return;
    }
    if (tried.size > 0) counters.retried++;
    tried.add(target.id);
    const { ip, port } = target.target;
    const sourceAddress = spec.preserveClientIp ? client.remoteAddress : (spec.proxySource.address ?? client.localAddress);
    const verdict = context.firewall.evaluate({
      direction: 'to-target',
      source: { address: sourceAddress, tags: spec.preserveClientIp ? [] : spec.proxySource.tags },
      destination: { address: ip, port, tags: target.target.tags },
    });
    const timeoutMs = context.scale(spec.connectTimeoutMs);
    if (verdict.action === 'deny') {
      target.counters.blockedByFirewall++;
      const timer = timers.setTimeout(() => failed(target, `no connection within ${spec.connectTimeoutMs} ms (dropped by ${verdict.rule === undefined ? 'the firewall default action' : `firewall rule ${verdict.rule}`})`), timeoutMs);
      abandon = () => timers.clearTimeout(timer);
      return;
    }
    const socket = connect({
      host: ip,
      port,
      allowHalfOpen: true,
      ...(spec.proxySource.address === undefined ? {} : { localAddress: spec.proxySource.address }),
    });
    listener.track(socket);
    let timer: TimerHandle | undefined = timers.setTimeout(() => socket.destroy(new ConnectTimeoutError(`no connection within ${spec.connectTimeoutMs} ms`)), timeoutMs);
    const clear = (): void => {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    };
    abandon = () => {
      clear();
      socket.destroy();
    };
    socket.once('connect', () => {
      clear();
      abandon = undefined;
      if (clientGone) {
        socket.destroy();
        return;
      }
      connected = true;
      pipe(client, socket, target, context);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clear();
      if (connected) {
        client.destroy();
        return;
      }
      failed(target, error.code ?? error.message);
    });
  };

  attempt();
}

/** Joins client and target, writing the PROXY header first; accounts the connection until both sockets closed. */
function pipe(client: Socket, backend: Socket, target: Registration, context: ProxyContext): void {
  const { listener, group } = context;
  const connection: TrackedConnection & ListenerConnection = {
    terminate() {
      listener.counters.closedByDrain++;
      target.counters.closedByDrain++;
      client.resetAndDestroy();
      backend.resetAndDestroy();
    },
    bytes: () => ({ in: client.bytesRead, out: backend.bytesRead }),
  };
  listener.counters.proxied++;
  target.counters.proxied++;
  listener.connections.add(connection);
  target.connectionOpened(connection);
  let open = 2;
  const closed = (): void => {
    if (--open > 0) return;
    const { in: bytesIn, out: bytesOut } = connection.bytes();
    listener.counters.bytesIn += bytesIn;
    listener.counters.bytesOut += bytesOut;
    target.counters.bytesIn += bytesIn;
    target.counters.bytesOut += bytesOut;
    listener.connections.delete(connection);
    target.connectionClosed(connection);
  };
  client.once('close', closed);
  backend.once('close', closed);
  client.on('error', () => backend.destroy());
  if (group.spec.proxyProtocol !== 'none') {
    backend.write(
      encodeProxyHeader(group.spec.proxyProtocol, {
        sourceAddress: client.remoteAddress,
        sourcePort: client.remotePort,
        destinationAddress: client.localAddress,
        destinationPort: client.localPort,
      }),
    );
  }
  client.pipe(backend);
  backend.pipe(client);
  const idleMs = group.spec.idleTimeoutMs;
  if (idleMs !== undefined) watchIdle(client, backend, context.scale(idleMs), group.spec.idleAction, context, target);
}

/** Ends the flow when neither socket has carried a byte for `idleMs` (see the file comment). */
function watchIdle(client: Socket, backend: Socket, idleMs: number, action: IdleAction, context: ProxyContext, target: Registration): void {
  const { timers, listener } = context;
  let timer: TimerHandle | undefined;
  const stop = (): void => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
  const expire = (): void => {
    timer = undefined;
    listener.counters.idleTimedOut++;
    context.log.debug('connection idle timeout', { listener: listener.spec.name, target: hostPort(target.target.ip, target.target.port), action });
    if (action === 'reset') {
      client.resetAndDestroy();
      backend.resetAndDestroy();
      return;
    }
    // Forgotten: nothing more is relayed and nothing is sent (no FIN, no RST); each socket goes when its peer ends it.
    client.unpipe(backend);
    backend.unpipe(client);
    for (const socket of [client, backend]) {
      socket.removeListener('data', touch);
      socket.on('data', () => {});
      socket.once('end', () => socket.destroy());
    }
  };
  const touch = (): void => {
    stop();
    timer = timers.setTimeout(expire, idleMs);
  };
  client.on('data', touch);
  backend.on('data', touch);
  client.once('close', stop);
  backend.once('close', stop);
  touch();
}
