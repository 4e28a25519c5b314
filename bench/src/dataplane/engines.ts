/**
 * The @sluice/dataplane engine as a bench target, in either placement:
 * - `in-process`: `createEngine()` inside a forked child (engine-child.ts), the way the
 *   embedded load balancer runs inside the controller;
 * - `out-of-process`: the `sluice-dataplane` process (`startDataPlaneProcess`), programmed
 *   from the bench's own process through `connectDataPlane` over its UNIX-socket control API.
 * Both are programmed by engine-config.ts and resolve once every backend is healthy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDataPlane, type DataPlaneClient, type DataPlaneProcess, startDataPlaneProcess } from '@sluice/dataplane';
import type { BackendRef } from './backends.ts';
import { forkChild } from './child-process.ts';
import { programEngine, setWeights } from './engine-config.ts';

export type EnginePlacement = 'in-process' | 'out-of-process';

export interface EngineLb {
  /** The process the engine's traffic runs in (for CPU and memory). */
  readonly pid: number;
  readonly port: number;
  /** Sets backend weights (ids not listed: 1); 0 drains in place. */
  setWeights(weights: Readonly<Record<string, number>>): Promise<void>;
  stop(): Promise<void>;
}

export function startEngine(placement: EnginePlacement, backends: readonly BackendRef[]): Promise<EngineLb> {
  return placement === 'in-process' ? startInProcess(backends) : startOutOfProcess(backends);
}

async function startInProcess(backends: readonly BackendRef[]): Promise<EngineLb> {
  const child = forkChild(new URL('./engine-child.ts', import.meta.url), []);
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

async function startOutOfProcess(backends: readonly BackendRef[]): Promise<EngineLb> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-dataplane-'));
  let dataPlane: DataPlaneProcess | undefined;
  let client: DataPlaneClient | undefined;
  const stop = async (): Promise<void> => {
    client?.disconnect();
    const code = await dataPlane?.stop();
    await rm(dir, { recursive: true, force: true });
    if (code !== undefined && code !== 0) throw new Error(`sluice-dataplane exited with code ${code} when stopped`);
  };
  try {
    dataPlane = await startDataPlaneProcess({ socketPath: join(dir, 'control.sock') });
    const plane = await connectDataPlane(dataPlane.socketPath);
    client = plane;
    const port = await programEngine(plane, backends);
    return { pid: dataPlane.pid, port, setWeights: (weights) => setWeights(plane, backends, weights), stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
