/**
 * Starts `sluice-dataplane` as a child process and waits for its ready line.
 *
 * Which file runs: when this module is itself the TypeScript source (`import.meta.url` ends
 * in `.ts`, i.e. the caller resolved the package under the `@sluice/source` condition) the
 * bin runs from source (`src/bin.ts`, Node's type stripping); otherwise from `dist/bin.js`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadyLine } from '../bin-args.ts';
import { ControlApiError } from '../errors.ts';
import type { FirewallAction } from '../firewall.ts';

export interface StartDataPlaneProcessOptions {
  /** The control API's UNIX domain socket path. */
  readonly socketPath: string;
  /**
   * Start the process in its own process group and let it outlive this one (it is unref'd
   * once ready, and its stdout is closed: it writes nothing after the ready line).
   * @default false
   */
  readonly detached?: boolean;
  /** @default 1 */
  readonly timeScale?: number;
  /** @default 'allow' */
  readonly firewallDefault?: FirewallAction;
  /** @default 'warn' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * A file the process's log lines (stderr) are appended to.
   * @default unset: stderr is inherited, or discarded when `detached`
   */
  readonly logFile?: string;
  /**
   * How long to wait for the ready line before killing the process and rejecting.
   * @default 15000
   */
  readonly readyTimeoutMs?: number;
}

export interface DataPlaneProcess {
  readonly pid: number;
  readonly socketPath: string;
  /** Sends SIGTERM (SIGKILL after `timeoutMs`) and resolves with the exit code once the process has exited. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export async function startDataPlaneProcess(options: StartDataPlaneProcessOptions): Promise<DataPlaneProcess> {
  const fromSource = import.meta.url.endsWith('.ts');
  const bin = fileURLToPath(new URL(fromSource ? '../bin.ts' : '../bin.js', import.meta.url));
  const args = [
    ...(fromSource ? ['--conditions=@sluice/source'] : []),
    bin,
    '--socket',
    options.socketPath,
    '--time-scale',
    String(options.timeScale ?? 1),
    '--firewall-default',
    options.firewallDefault ?? 'allow',
    '--log-level',
    options.logLevel ?? 'warn',
  ];
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const stderr = logFd ?? (options.detached ? 'ignore' : 'inherit');
  const child = spawn(process.execPath, args, { detached: options.detached ?? false, stdio: ['ignore', 'pipe', stderr] });
  if (logFd !== undefined) closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await readyLine(child, exited, options.readyTimeoutMs ?? 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (options.detached) {
    child.stdout?.destroy();
    child.unref();
  } else {
    child.stdout?.resume();
  }
  const pid = child.pid ?? 0;
  return {
    pid,
    socketPath: options.socketPath,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function readyLine(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new ControlApiError(`sluice-dataplane printed no ready line within ${timeoutMs} ms.`)), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      done();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as ReadyLine);
      } catch {
        reject(new ControlApiError(`sluice-dataplane printed ${JSON.stringify(buffered.slice(0, newline))} instead of its JSON ready line.`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', (error) => {
      done();
      reject(new ControlApiError(`sluice-dataplane could not be started: ${error.message}.`, { cause: error }));
    });
    void exited.then((code) => {
      done();
      reject(new ControlApiError(`sluice-dataplane exited with code ${code} before it was ready (its stderr says why).`));
    });
  });
}
