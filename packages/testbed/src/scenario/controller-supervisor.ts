/**
 * What every way of running the controller shares once its process is spawned: its JSON log
 * lines read from stdout, readiness and the HTTP ports it logs, the latencies it reports, and
 * stopping it. Used by the source-tree controller (controller-process.ts) and the controller
 * run from the image's root filesystem (ops/image-controller.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ControllerDataPlane, ControllerProcess, LogLine } from './controller-process.ts';

export interface SuperviseOptions {
  /** Names the process in errors and echoed lines: `sluice`, `sluice (image)`. */
  readonly label: string;
  /** Echo every line to stderr. */
  readonly echo: boolean;
  /** The engine the harness started beside it, if any. */
  readonly dataplane?: ControllerDataPlane;
}

/** Supervises a spawned controller: see the file comment. The child is SIGKILLed if this process exits first. */
export function superviseController(child: ChildProcess, o: SuperviseOptions): ControllerProcess {
  const lines: LogLine[] = [];
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exited = code))));
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (o.echo) process.stderr.write(`[${o.label}] ${d}`);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (o.echo) process.stderr.write(`[${o.label}] ${line}\n`);
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      lines.push({ level: 'raw', msg: line });
    }
  });
  const onParentExit = () => child.kill('SIGKILL');
  process.once('exit', onParentExit);
  const until = async <T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (exited !== undefined) throw new Error(`${o.label} exited (${exited}) before ${what}: ${stderr.join('').trim()}`);
      if (performance.now() > deadline) throw new Error(`${o.label} did not report ${what} in time`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ports = (timeoutMs = 30_000) =>
    until('its HTTP ports', timeoutMs, () => {
      const http = lines.filter((l) => l.msg === 'http listening');
      const metrics = http.find((l) => l['metricsPort'] !== undefined)?.['metricsPort'];
      const health = http.find((l) => l['healthPort'] !== undefined)?.['healthPort'];
      return metrics !== undefined && health !== undefined ? { metrics: Number(metrics), health: Number(health) } : undefined;
    });
  return {
    lines,
    ...(o.dataplane ? { dataplane: o.dataplane } : {}),
    pid: child.pid,
    exited: exit,
    ports,
    async get(path: string) {
      const p = await ports();
      const res = await fetch(`http://127.0.0.1:${path.startsWith('/metrics') ? p.metrics : p.health}${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text() };
    },
    async ready(timeoutMs = 30_000) {
      await until('running', timeoutMs, () => (lines.some((l) => l.msg === 'sluice running') ? true : undefined));
    },
    latencies(from = 0) {
      const slice = lines.slice(from);
      return {
        gateMs: slice.filter((l) => l.msg === 'gate passed').map((l) => Number(l['waitedMs'])),
        drainMs: slice.filter((l) => l.msg === 'drain applied').map((l) => Number(l['latencyMs'])),
      };
    },
    drains() {
      return lines.filter((l) => l.msg === 'drain applied').map((l) => ({ podUid: String(l['podUid']), wallMs: Number(l['wallMs']) }));
    },
    async kill() {
      process.off('exit', onParentExit);
      if (exited === undefined) child.kill('SIGKILL');
      await exit;
    },
    async stop(killAfterMs = 5000) {
      process.off('exit', onParentExit);
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
