/**
 * Runs the real `sluice` controller as a child process (the app's main.ts under Node 24),
 * and reads its JSON log lines: the gate and drain latencies it reports, and its readiness.
 *
 * With `--provider local` the load balancers run in a `sluice-dataplane` process that the
 * controller starts (detached) on its socket and that outlives it, as in production. Each
 * controller gets its own socket in a fresh temporary directory unless the test passes
 * `--local-dataplane-socket` (to restart a controller against the engine of an earlier one)
 * or `--local-dataplane embedded`. That engine is the test's to stop, with
 * `controller.dataplane.stop()`; stopping or killing the controller leaves it serving. Any
 * engine still serving a socket the harness handed out is killed when this process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DETACHED, killOnExit, reapOnExit, underParentDeathSignal } from '../harness/child-registry.ts';
import { superviseController } from './controller-supervisor.ts';

export const CONTROLLER_MAIN = fileURLToPath(new URL('../../../../apps/controller/src/main.ts', import.meta.url));

export interface ControllerProcessOptions {
  readonly kubeconfigPath: string;
  /** @default 'local' */
  readonly provider?: string;
  /** Extra flags after `--provider <p> --kubeconfig ...`. */
  readonly args?: readonly string[];
  /** Extra environment for the controller (e.g. AWS credentials and endpoint). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Pass `--handle-unclassed`: the test clusters have no cloud controller, and the workloads'
   * Services carry no class. @default true
   */
  readonly handleUnclassed?: boolean;
  /** Echo every log line to stderr. @default false (SLUICE_E2E_DEBUG turns it on) */
  readonly echo?: boolean;
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The `sluice-dataplane` engine of a local-provider controller, on a socket the harness chose. */
export interface ControllerDataPlane {
  /** Pass it as `--local-dataplane-socket` to run another controller against the same engine. */
  readonly socketPath: string;
  /** Every engine process on the socket: SIGTERM (SIGKILL after `killAfterMs`), waited for; then the directory is removed. Idempotent. */
  stop(killAfterMs?: number): Promise<void>;
}

export interface ControllerProcess {
  readonly lines: readonly LogLine[];
  /**
   * The engine the controller runs its load balancers in, when the harness chose its socket
   * (`--provider local` without `--local-dataplane-socket` or `--local-dataplane embedded`).
   * `stop()` and `kill()` of the controller leave it serving.
   */
  readonly dataplane?: ControllerDataPlane;
  /** Resolves once the controller logged that it is running; rejects if it exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** `gate passed` waits and `drain applied` latencies logged since `from` (an index into lines). */
  latencies(from?: number): { gateMs: number[]; drainMs: number[] };
  /** Every `drain applied` line: pod UID and the controller's wall-clock time. */
  drains(): { podUid: string; wallMs: number }[];
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 5 s). Resolves with the exit code. */
  stop(killAfterMs?: number): Promise<number | null>;
  /** SIGKILL at once (a crashed replica). Resolves with the exit signal. */
  kill(): Promise<void>;
  /** Resolves with the exit code once the process exits by itself. */
  readonly exited: Promise<number | null>;
  /** The ports of /metrics and /healthz,/readyz, once logged. */
  ports(timeoutMs?: number): Promise<{ metrics: number; health: number }>;
  /** GET a path on the metrics (/metrics) or health (/healthz, /readyz) port. */
  get(path: string): Promise<{ status: number; body: string }>;
  readonly pid: number | undefined;
}

export function startControllerProcess(options: ControllerProcessOptions): ControllerProcess {
  const echo = options.echo ?? Boolean(process.env['SLUICE_E2E_DEBUG']);
  const extra = options.args ?? [];
  // Ephemeral loopback ports unless the test chose: several controllers may run at once.
  const has = (flag: string) => extra.some((a) => a === flag || a.startsWith(`${flag}=`));
  const provider = options.provider ?? 'local';
  const dataplane = provider === 'local' && !has('--local-dataplane-socket') && flagValue(extra, '--local-dataplane') !== 'embedded' ? harnessDataPlane() : undefined;
  const defaults = [
    ...((options.handleUnclassed ?? true) ? ['--handle-unclassed'] : []),
    ...(has('--metrics-bind-address') ? [] : ['--metrics-bind-address', '127.0.0.1:0']),
    ...(has('--health-probe-bind-address') ? [] : ['--health-probe-bind-address', '127.0.0.1:0']),
    ...(dataplane ? ['--local-dataplane-socket', dataplane.socketPath] : []),
  ];
  // Killed with the harness like its other children (child-registry.ts); setpriv execs node in place, so signals sent to the child reach the controller.
  const [command, ...argv] = underParentDeathSignal([
    process.execPath,
    '--conditions=@sluice/source',
    CONTROLLER_MAIN,
    '--provider',
    provider,
    '--kubeconfig',
    options.kubeconfigPath,
    ...defaults,
    ...extra,
  ]);
  const child: ChildProcess = spawn(command!, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, ...DETACHED });
  killOnExit(child);
  return superviseController(child, { label: 'sluice', echo, ...(dataplane ? { dataplane } : {}) });
}

/** The value of `flag` in `args` (`--flag=v` or `--flag v`), the last one given. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg === flag) value = args[i + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  });
  return value;
}

/** Sockets the harness handed out, with their directories: what the exit handler cleans up. */
const handedOut = new Map<string, string>();
let reaping = false;

/**
 * The pids of the `sluice-dataplane` processes serving `socketPath`, found by their command
 * line (`--socket <path>`) whoever started them (the first controller, or a later one that
 * found the engine dead). Synchronous, so the exit handler can use it; zombies (an empty
 * command line) are not listed.
 */
function enginePids(socketPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = argv.indexOf('--socket');
    if (at >= 0 && argv[at + 1] === socketPath) pids.push(Number(entry));
  }
  return pids;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Kills every engine on a socket the harness handed out, and removes their directories. */
function reapAll(): void {
  for (const [socketPath, dir] of handedOut) {
    signalAll(enginePids(socketPath), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  handedOut.clear();
}

function harnessDataPlane(): ControllerDataPlane {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dataplane-'));
  const socketPath = join(dir, 'dataplane.sock');
  handedOut.set(socketPath, dir);
  if (!reaping) {
    reaping = true;
    reapOnExit(reapAll);
  }
  return {
    socketPath,
    async stop(killAfterMs = 5000) {
      signalAll(enginePids(socketPath), 'SIGTERM');
      const deadline = performance.now() + killAfterMs;
      while (enginePids(socketPath).length > 0) {
        if (performance.now() > deadline + 10_000) throw new Error(`sluice-dataplane on ${socketPath} did not exit after SIGKILL`);
        if (performance.now() > deadline) signalAll(enginePids(socketPath), 'SIGKILL');
        await new Promise((r) => setTimeout(r, 50));
      }
      handedOut.delete(socketPath);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** p-th percentile (0-100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}
