/**
 * One simulated container: a `pod-app.ts` process inside the pod network namespace.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PodNetwork } from './pod-network.ts';
import type { ProcessExit } from './managed-process.ts';

/** The container program (see pod-app.ts). */
export const POD_APP_PATH = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './pod-app.ts' : './pod-app.js', import.meta.url));

/** Options for {@link startContainerProcess}. */
export interface ContainerProcessOptions {
  network: PodNetwork;
  /** Complete environment of the program (POD_NAME, POD_IP, PORT, SIGTERM_BEHAVIOUR...). */
  env: Record<string, string>;
  /**
   * Receives each line the program prints.
   * @default discard
   */
  onOutput?: (line: string) => void;
  /**
   * Node binary that runs pod-app.ts.
   * @default process.execPath
   */
  nodeBinary?: string;
}

export interface ContainerProcess {
  readonly pid: number | undefined;
  /** Resolves once the program listens (prints `listening`); rejects if it exits first. */
  readonly started: Promise<void>;
  /** Settles when the process has exited. */
  readonly exit: Promise<ProcessExit>;
  readonly exited: boolean;
  /** Sends a signal; a no-op once exited. */
  signal(signal: NodeJS.Signals): void;
}

export function startContainerProcess(options: ContainerProcessOptions): ContainerProcess {
  const child = options.network.exec([options.nodeBinary ?? process.execPath, '--disable-warning=ExperimentalWarning', POD_APP_PATH], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      exited = true;
      resolve({ code: 127, signal: null });
    });
  });
  const started = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      options.onOutput?.(line);
      if (line.startsWith('listening')) resolve();
    });
    const errors = createInterface({ input: child.stderr! });
    const lastErrors: string[] = [];
    errors.on('line', (line) => {
      options.onOutput?.(line);
      lastErrors.push(line);
      if (lastErrors.length > 5) lastErrors.shift();
    });
    void exit.then((e) => reject(new Error(`container exited before listening (${JSON.stringify(e)}): ${lastErrors.join(' | ')}`)));
  });
  // A rejection nobody awaits (the pod was deleted first) must not crash the test process.
  started.catch(() => {});
  return {
    pid: child.pid,
    started,
    exit,
    get exited() {
      return exited;
    },
    signal(signal) {
      if (!exited) child.kill(signal);
    },
  };
}
