/** Running a program inside one of the network namespaces the harness creates. */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { DETACHED, killOnExit, underParentDeathSignal } from './child-registry.ts';

/** Options for {@link NetnsRunner.exec}. */
export interface NetnsExecOptions {
  /**
   * The complete environment (nothing is inherited).
   * @default { PATH: process.env.PATH }
   */
  env?: NodeJS.ProcessEnv;
  /**
   * stdio of the child.
   * @default 'ignore'
   */
  stdio?: StdioOptions;
}

/** Something that runs programs inside its network namespace: a pod network or a client network. */
export interface NetnsRunner {
  /** The network namespace name (`sluice-<pid>-<random>`). */
  readonly namespace: string;
  /**
   * Spawns `argv` inside the namespace. The child is killed with SIGKILL if this process dies;
   * its pid is the program's own, so signals reach it directly.
   */
  exec(argv: readonly string[], options?: NetnsExecOptions): ChildProcess;
}

/** Spawns `argv` in `namespace` under `ip netns exec`, with the guarantees of {@link NetnsRunner.exec}. */
export function execInNamespace(namespace: string, argv: readonly string[], options: NetnsExecOptions = {}): ChildProcess {
  const [command, ...args] = ['ip', 'netns', 'exec', namespace, ...underParentDeathSignal(argv)];
  const child = spawn(command!, args, {
    env: options.env ?? { PATH: process.env['PATH'] },
    stdio: options.stdio ?? 'ignore',
    ...DETACHED,
  });
  killOnExit(child);
  return child;
}
