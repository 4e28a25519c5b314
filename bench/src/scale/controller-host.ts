/**
 * Forks controller-child.ts and speaks its protocol: hands each reported registration, gate
 * and drain to the caller, answers `measure()` with the child's counts and memory after a GC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@sluice/testbed/harness';
import type { ChildConfig, ChildMeasurement, ChildMessage, HostMessage } from './controller-protocol.ts';
import { nowMs } from './controller-protocol.ts';

const CHILD = fileURLToPath(new URL('./controller-child.ts', import.meta.url));

export interface ControllerHooks {
  registered?(podUid: string, at: number): void;
  gatePassed?(podUid: string, at: number, waitedMs: number): void;
  drainApplied?(podUid: string, at: number, latencyMs: number): void;
}

export interface ControllerHost {
  /** When the fork was made (the "controller start" of convergence times). */
  readonly forkedAt: number;
  readonly pid: number | undefined;
  /** Resolves once caches are synced and workers run, with that time. */
  ready(): Promise<number>;
  measure(): Promise<ChildMeasurement>;
  /** Stops the controller (SIGKILL after `killAfterMs`); resolves once the process is gone. */
  stop(killAfterMs?: number): Promise<void>;
}

export function forkController(config: ChildConfig, hooks: ControllerHooks = {}): ControllerHost {
  const forkedAt = nowMs();
  const child: ChildProcess = fork(CHILD, [JSON.stringify(config)], {
    // --max-semi-space-size as in deploy/base/deployment.yaml (NODE_OPTIONS): measure what runs in clusters.
    execArgv: ['--conditions=@sluice/source', '--expose-gc', '--max-semi-space-size=8'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exitError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitError = new Error(`the controller process exited (code ${code}, signal ${signal})`);
      for (const { reject } of waiting.values()) reject(exitError);
      waiting.clear();
      readyWaiter?.reject(exitError);
      resolve();
    });
  });
  const waiting = new Map<number, { resolve: (m: ChildMeasurement) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let readyAt: number | undefined;
  let readyWaiter: { resolve: (at: number) => void; reject: (e: Error) => void } | undefined;
  let failure: string | undefined;

  child.on('message', (message: ChildMessage) => {
    switch (message.kind) {
      case 'ready':
        readyAt = message.at;
        readyWaiter?.resolve(message.at);
        break;
      case 'registered':
        for (const [uid, at] of message.items) hooks.registered?.(uid, at);
        break;
      case 'gate':
        for (const [uid, at, waited] of message.items) hooks.gatePassed?.(uid, at, waited);
        break;
      case 'drain':
        for (const [uid, at, latency] of message.items) hooks.drainApplied?.(uid, at, latency);
        break;
      case 'measured':
        waiting.get(message.id)?.resolve(message.measurement);
        waiting.delete(message.id);
        break;
      case 'failed':
        failure = message.error;
        process.stderr.write(`[controller] failed: ${message.error}\n`);
        break;
    }
  });
  const post = (message: HostMessage) => {
    if (child.connected) child.send(message);
  };

  return {
    forkedAt,
    pid: child.pid,
    ready() {
      if (readyAt !== undefined) return Promise.resolve(readyAt);
      if (exitError) return Promise.reject(new Error(failure ?? exitError.message));
      return new Promise<number>((resolve, reject) => {
        readyWaiter = { resolve, reject };
      });
    },
    measure() {
      if (exitError) return Promise.reject(exitError);
      const id = nextId++;
      return new Promise<ChildMeasurement>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        post({ kind: 'measure', id });
      });
    },
    async stop(killAfterMs = 35_000) {
      if (exitError) return;
      post({ kind: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Waits until the cluster and the controller have settled: `settled()` (e.g. the pod stamper
 * has no write left), then no reconcile for a whole `intervalMs` and nothing queued. Resolves
 * with the controller's measurement at that point.
 */
export async function waitUntilQuiet(controller: ControllerHost, settled: () => Promise<void>, intervalMs = 1000): Promise<ChildMeasurement> {
  await settled();
  let last = await controller.measure();
  await waitFor(
    'the controller to go quiet',
    async () => {
      const now = await controller.measure();
      const quiet = now.reconciles === last.reconciles && now.queueDepth === 0;
      last = now;
      return quiet;
    },
    { timeoutMs: 300_000, intervalMs },
  );
  return last;
}
