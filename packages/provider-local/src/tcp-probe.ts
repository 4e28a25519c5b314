/**
 * One active TCP health check: connect, then close at once. Success means the backend
 * accepted the connection within the timeout; nothing is written to it.
 */
import { connect } from 'node:net';
import type { Timers } from './options.ts';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why the check failed (the socket error code, or `timeout`). */
  readonly reason?: string;
}

export interface Probe {
  readonly result: Promise<ProbeResult>;
  /** Abandons the check and frees its socket; `result` then never settles. */
  cancel(): void;
}

export function probeTcp(host: string, port: number, timeoutMs: number, timers: Timers): Probe {
  const socket = connect({ host, port });
  let settle: (result: ProbeResult) => void = () => {};
  const result = new Promise<ProbeResult>((resolve) => {
    settle = resolve;
  });
  const finish = (outcome: ProbeResult): void => {
    timers.clearTimeout(timer);
    socket.destroy();
    settle(outcome);
    settle = () => {};
  };
  const timer = timers.setTimeout(() => finish({ ok: false, reason: `no connection within ${timeoutMs} ms` }), timeoutMs);
  socket.once('connect', () => finish({ ok: true }));
  socket.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: error.code ?? error.message }));
  return {
    result,
    cancel() {
      settle = () => {};
      timers.clearTimeout(timer);
      socket.destroy();
    },
  };
}
