/**
 * Makes sure no child process the harness starts outlives the test process.
 *
 * Two layers: every child is started under `setpriv --pdeathsig KILL` (see
 * {@link underParentDeathSignal}), so the kernel kills it even when this process is itself
 * SIGKILLed; and the children still alive are SIGKILLed from the `exit` event and from
 * SIGINT/SIGTERM/SIGHUP, which are then re-raised so the process dies the way it would have.
 *
 * The registry is process-wide on purpose: the process has one exit, whatever number of
 * control planes and simulators a test starts.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/** Registers `child` to be killed when this process exits; forgets it once it has exited. */
export function killOnExit(child: ChildProcess): void {
  hook();
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Prefixes `argv` so that the program receives SIGKILL when the thread that spawned it dies.
 * `setpriv` execs the program in place, so the child's pid is the program's pid and signals
 * sent to the child reach the program directly.
 */
export function underParentDeathSignal(argv: readonly string[]): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
}
