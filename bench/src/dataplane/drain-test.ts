/**
 * The drain behaviour of one load balancer, measured the same way for each:
 * 1. open keep-alive connections until one is answered by the backend to drain, and keep it;
 * 2. drain that backend (weight 0, or the LB's own drain state);
 * 3. send another request on the kept connection: is it answered, and by whom?
 * 4. open `newConnections` fresh connections, one request each: does any reach the
 *    drained backend?
 * 5. one more request on the kept connection, to see it still works after the others.
 */
import { type Answer, KeepAliveConnection } from './keep-alive-client.ts';

export interface DrainTarget {
  readonly port: number;
  /** Puts backend `id` into drain and resolves once the LB applied it. */
  drain(id: string): Promise<void>;
}

export interface DrainResult {
  readonly drainedBackend: string;
  /** How the kept connection's request right after the drain was answered. */
  readonly after: Answer;
  /** How the kept connection's request after the new connections was answered. */
  readonly later: Answer;
  /** Whether both answers came from the drained backend, i.e. the flow stayed put. */
  readonly openConnectionStayed: boolean;
  /** Answers of the new connections by backend id (or failure reason). */
  readonly newConnections: Readonly<Record<string, number>>;
  readonly newToDrained: number;
  readonly newFailed: number;
}

export async function runDrainTest(target: DrainTarget, backendId: string, newConnections = 20): Promise<DrainResult> {
  const opened: KeepAliveConnection[] = [];
  try {
    let kept: KeepAliveConnection | undefined;
    for (let i = 0; i < 12 && kept === undefined; i++) {
      const connection = await KeepAliveConnection.open(target.port);
      opened.push(connection);
      const answer = await connection.request();
      if (answer.ok && answer.body === backendId) kept = connection;
    }
    if (kept === undefined) throw new Error(`no connection through port ${target.port} was answered by backend ${backendId}`);

    await target.drain(backendId);

    const after = await kept.request();
    const counts: Record<string, number> = {};
    let newFailed = 0;
    for (let i = 0; i < newConnections; i++) {
      let answer: Answer;
      try {
        const connection = await KeepAliveConnection.open(target.port);
        opened.push(connection);
        answer = await connection.request();
      } catch (error) {
        answer = { ok: false, reason: (error as NodeJS.ErrnoException).code ?? 'connect failed' };
      }
      const key = answer.ok ? answer.body : `failed: ${answer.reason}`;
      if (!answer.ok) newFailed++;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    const later = await kept.request();
    return {
      drainedBackend: backendId,
      after,
      later,
      openConnectionStayed: [after, later].every((a) => a.ok && a.body === backendId),
      newConnections: counts,
      newToDrained: counts[backendId] ?? 0,
      newFailed,
    };
  } finally {
    for (const connection of opened) connection.close();
  }
}
