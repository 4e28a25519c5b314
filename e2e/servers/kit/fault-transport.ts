/**
 * The transport half of a fault, on a real socket: latency waits before the answer, a
 * timeout holds the request unanswered until the client gives up (its socket closes) or the
 * hold ends (then the socket is destroyed, as an idle-timeout would), a drop destroys the
 * socket at once. Throttles and 5xx errors are answered by the server in its vendor's shape.
 */
import type { Socket } from 'node:net';
import type { FaultDecision } from './faults.ts';
import { realSleep, type Sleep } from './time.ts';

/** Thrown when a fault means the request must not be answered: the socket is gone or held to death. */
export class RequestAbandoned extends Error {
  override readonly name = 'RequestAbandoned';
  readonly kind: 'timeout' | 'drop' | 'client-gone';

  constructor(kind: 'timeout' | 'drop' | 'client-gone') {
    super(`the request was not answered (${kind})`);
    this.kind = kind;
  }
}

/** Guard that also works across copies of this module. */
export function isRequestAbandoned(e: unknown): e is RequestAbandoned {
  return e instanceof Error && e.name === 'RequestAbandoned';
}

/** Aborts when `socket` closes (the client went away or the server closed it). */
function closeSignal(socket: Socket): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  if (socket.destroyed) ac.abort();
  const onClose = () => ac.abort();
  socket.once('close', onClose);
  return { signal: ac.signal, dispose: () => socket.removeListener('close', onClose) };
}

/**
 * Carries out the delay and the transport fault of `decision` on `socket`. Resolves when the
 * server should go on and answer (normally, or with the decision's throttle or error);
 * rejects with {@link RequestAbandoned} when it must not answer.
 */
export async function enactTransportFault(decision: FaultDecision, socket: Socket, sleep: Sleep = realSleep): Promise<void> {
  const { signal, dispose } = closeSignal(socket);
  try {
    if (decision.delayMs > 0) await sleep(decision.delayMs, signal);
    if (signal.aborted) throw new RequestAbandoned('client-gone');
    const fault = decision.fault;
    if (fault?.kind === 'drop') {
      socket.destroy();
      throw new RequestAbandoned('drop');
    }
    if (fault?.kind === 'timeout') {
      if (Number.isFinite(fault.holdMs)) await sleep(fault.holdMs, signal);
      else await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      socket.destroy();
      throw new RequestAbandoned('timeout');
    }
  } finally {
    dispose();
  }
}
