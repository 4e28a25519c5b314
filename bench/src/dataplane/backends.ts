/** The backends every target shares: small Node HTTP servers, each in its own child process. */
import { forkChild, type NodeChild } from './child-process.ts';

export interface BackendRef {
  /** What the backend answers with, and its server name in HAProxy. */
  readonly id: string;
  readonly port: number;
}

export interface Backends {
  readonly refs: readonly BackendRef[];
  stop(): Promise<void>;
}

/** Starts one backend child per id and resolves once all listen. */
export async function startBackends(ids: readonly string[]): Promise<Backends> {
  const children: NodeChild[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.stop()));
  };
  try {
    const refs = await Promise.all(
      ids.map(async (id) => {
        const child = forkChild(new URL('./backend-server.ts', import.meta.url), [id]);
        children.push(child);
        const ready = await child.next<{ type: 'ready'; port: number }>();
        return { id, port: ready.port };
      }),
    );
    return { refs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
