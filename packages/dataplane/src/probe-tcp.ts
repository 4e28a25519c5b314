/**
 * A TCP health check: connect (from the check's source address, when set), then close at
 * once. Success means the target accepted the connection within the timeout; nothing is
 * written to it.
 */
import { connect } from 'node:net';
import { type Probe, type ProbeTarget, probeSkeleton } from './probe.ts';

export function probeTcp(target: ProbeTarget): Probe {
  const socket = connect({
    host: target.host,
    port: target.port,
    ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
  });
  const { probe, finish } = probeSkeleton(target, () => socket.destroy());
  socket.once('connect', () => finish({ ok: true }));
  socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: error.code ?? error.message }));
  return probe;
}
