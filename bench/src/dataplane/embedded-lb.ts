/** Sluice's embedded load balancer in its own child process (see embedded-lb-server.ts). */
import type { BackendRef } from './backends.ts';
import { forkChild } from './child-process.ts';

export interface EmbeddedLb {
  readonly pid: number;
  readonly port: number;
  /** Sets backend weights in place (ids not listed keep weight 1); 0 drains. */
  setWeights(weights: Readonly<Record<string, number>>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the child, registers `backends` and resolves once every backend is healthy. */
export async function startEmbeddedLb(backends: readonly BackendRef[]): Promise<EmbeddedLb> {
  const child = forkChild(new URL('./embedded-lb-server.ts', import.meta.url), []);
  try {
    const ready = await child.request<{ type: 'ready'; port: number }>({ type: 'start', backends });
    return {
      pid: child.pid,
      port: ready.port,
      async setWeights(weights) {
        await child.request({ type: 'weights', weights });
      },
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
