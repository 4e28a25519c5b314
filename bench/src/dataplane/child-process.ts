/**
 * Forked Node children (backends, the in-process engine) and their lifecycle: start,
 * request/reply over IPC, and a stop that waits for exit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

export interface NodeChild {
  readonly pid: number;
  /** Resolves with the child's next message; rejects on `{ type: 'error' }`, exit or timeout. */
  next<T extends { readonly type: string }>(timeoutMs?: number): Promise<T>;
  /** Sends `message`, then resolves as {@link next} does. */
  request<T extends { readonly type: string }>(message: object, timeoutMs?: number): Promise<T>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the child has exited. */
  stop(): Promise<void>;
}

/** Forks `file` (a .ts entry in this folder) with `args`, resolving workspace packages to src/. */
export function forkChild(file: URL, args: readonly string[]): NodeChild {
  const child = fork(file, [...args], {
    execArgv: ['--conditions=@sluice/source', '--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  if (child.pid === undefined) throw new Error(`could not start ${file.pathname}`);
  return wrap(child, child.pid, file.pathname);
}

function wrap(child: ChildProcess, pid: number, name: string): NodeChild {
  const exited = once(child, 'exit').then(() => {});
  const next = <T extends { readonly type: string }>(timeoutMs = 15_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (reply: T & { message?: string }): void => {
        if (reply.type === 'error') finish(new Error(`${name}: ${reply.message}`));
        else finish(undefined, reply);
      };
      const onExit = (code: number | null): void => finish(new Error(`${name} exited (code ${code}) before answering`));
      const finish = (error: Error | undefined, reply?: T): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error === undefined) resolve(reply!);
        else reject(error);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return {
    pid,
    next,
    request<T extends { readonly type: string }>(message: object, timeoutMs?: number): Promise<T> {
      const reply = next<T>(timeoutMs);
      child.send(message);
      return reply;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
