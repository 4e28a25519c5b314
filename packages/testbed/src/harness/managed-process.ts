import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { DETACHED, killOnExit, underParentDeathSignal } from './child-registry.ts';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link startManagedProcess}. */
export interface ManagedProcessOptions {
  /** Short name used in error messages, e.g. `etcd`. */
  name: string;
  /** Program path and arguments. */
  argv: readonly string[];
  /** File that receives stdout and stderr (created or truncated). */
  logFile: string;
  /**
   * Environment of the process.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

/** A long-running child whose output goes to a log file. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited, however that happened. */
  readonly exit: Promise<ProcessExit>;
  /** True once the process has exited. */
  readonly exited: boolean;
  /**
   * Sends SIGTERM, then SIGKILL if the process is still alive after `graceMs`.
   * Resolves once it has exited. Safe to call more than once.
   */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** The last `lines` lines of the log file, for error messages. */
  tail(lines?: number): string;
}

/**
 * Starts a program with its output in a log file. The process is killed when the test process
 * exits (see `child-registry.ts`).
 */
export function startManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  const fd = openSync(options.logFile, 'a');
  const [command, ...args] = underParentDeathSignal(options.argv);
  const child = spawn(command!, args, {
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    ...DETACHED,
  });
  closeSync(fd);
  killOnExit(child);
  let exited = false;
  const exit = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      exited = true;
      resolve({ code: null, signal: null });
    });
  });
  return {
    name: options.name,
    pid: child.pid ?? -1,
    logFile: options.logFile,
    exit,
    get exited() {
      return exited;
    },
    async stop(graceMs = 5000) {
      if (exited) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
    tail: (lines = 30) => tailFile(options.logFile, lines),
  };
}

/** The last `lines` lines of a text file, or a note when it cannot be read. */
export function tailFile(path: string, lines = 30): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(cannot read ${path}: ${(error as Error).message})`;
  }
}
