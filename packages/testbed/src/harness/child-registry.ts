/**
 * Makes sure no child process the harness starts outlives the test process.
 *
 * Two layers: every child is started under `setpriv --pdeathsig KILL` (see
 * {@link underParentDeathSignal}), so the kernel kills it even when this process is itself
 * SIGKILLed; and the children still alive are SIGKILLed (and the reapers registered with
 * {@link reapOnExit} run) from the `exit` event and from SIGINT/SIGTERM/SIGHUP, which are then
 * re-raised so the process dies the way it would have.
 *
 * Children run in their own session ({@link DETACHED}), so a Ctrl-C at the terminal reaches
 * this process only, not the control plane and pods behind it: a program that shuts down in
 * order (the demo) takes the first signal with {@link handleSignals}, stops what it started,
 * and exits; a second signal, or any signal in a program that did not ask, kills at once.
 *
 * The registry is process-wide on purpose: the process has one exit, whatever number of
 * control planes and simulators a test starts.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
const reapers: (() => void)[] = [];
let hooked = false;
let programHandler: ((signal: NodeJS.Signals) => void) | undefined;
let handedOver = false;

/** Spawn option for every child: its own session and process group, away from the terminal's signals. */
export const DETACHED = { detached: true } as const;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const reap of reapers) reap();
}

function onSignal(signal: NodeJS.Signals): void {
  if (programHandler !== undefined && !handedOver) {
    handedOver = true;
    programHandler(signal);
    return;
  }
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

/** Runs `reap` (synchronous, safe to run twice) wherever the children are killed: at exit and on a signal. */
export function reapOnExit(reap: () => void): void {
  hook();
  reapers.push(reap);
}

/**
 * Hands the first SIGINT, SIGTERM or SIGHUP to `handler` instead of killing the children: the
 * program stops what it started in order and exits (the children still alive then are killed
 * at exit). A second signal kills them and ends the process the way it would have.
 */
export function handleSignals(handler: (signal: NodeJS.Signals) => void): void {
  hook();
  programHandler = handler;
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
