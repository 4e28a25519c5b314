/**
 * The controller run from the image's root filesystem (see rootfs-process.ts) as the
 * Deployment of deploy/ would run it: the image's entrypoint with the container's args, the
 * container's environment (downward-API values filled in), its user and its read-only root,
 * and the in-cluster ServiceAccount mount instead of a kubeconfig. Exposes the same
 * {@link ControllerProcess} interface as the source-tree controller of the other e2e jobs.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type * as k8s from '@kubernetes/client-node';
import type { ControllerProcess, LogLine } from '../scenario/controller-process.ts';
import type { UnpackedImage } from './image.ts';
import { spawnInRootfs } from './rootfs-process.ts';

export interface ImageControllerOptions {
  readonly image: UnpackedImage;
  /** The Deployment's `sluice` container. */
  readonly container: k8s.V1Container;
  /** The pod's securityContext (runAsUser, runAsGroup). */
  readonly podSecurity: k8s.V1PodSecurityContext | undefined;
  /** What the downward API would give: metadata.namespace, metadata.name. */
  readonly pod: { readonly namespace: string; readonly name: string };
  /** ServiceAccount token, ca.crt and namespace, as files in this directory. */
  readonly serviceAccountDir: string;
  /** The API server, as the in-cluster Service env vars name it. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** Replaces container args by flag name (e.g. bind addresses free on this host). */
  readonly overrideArgs?: Readonly<Record<string, string>>;
  /** Extra args appended. */
  readonly extraArgs?: readonly string[];
  /** Echo log lines to stderr. @default SLUICE_E2E_DEBUG */
  readonly echo?: boolean;
}

/** The container's args with `--flag=value` replaced where `overrides` names the flag. */
export function containerArgs(args: readonly string[], overrides: Readonly<Record<string, string>> = {}): string[] {
  return args.map((a) => {
    const flag = a.split('=')[0]!;
    return flag in overrides ? `${flag}=${overrides[flag]}` : a;
  });
}

/** The container's environment as a runtime gives it: image env, then the container's. */
export function containerEnv(imageEnv: readonly string[], container: k8s.V1Container, pod: { namespace: string; name: string }): string[] {
  const env = new Map(imageEnv.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value = field === 'metadata.namespace' ? pod.namespace : field === 'metadata.name' ? pod.name : e.value;
    if (value === undefined) throw new Error(`env ${e.name}: only values and metadata.namespace/name field refs are supported here`);
    env.set(e.name, value);
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function startImageController(o: ImageControllerOptions): ControllerProcess {
  const echo = o.echo ?? Boolean(process.env['SLUICE_E2E_DEBUG']);
  const uid = o.container.securityContext?.runAsUser ?? o.podSecurity?.runAsUser ?? o.image.process.user.uid;
  const gid = o.container.securityContext?.runAsGroup ?? o.podSecurity?.runAsGroup ?? o.image.process.user.gid;
  const env = [
    ...containerEnv(o.image.process.env, o.container, o.pod),
    `KUBERNETES_SERVICE_HOST=${o.apiServer.host}`,
    `KUBERNETES_SERVICE_PORT=${o.apiServer.port}`,
  ];
  const argv = [...(o.container.command ?? o.image.process.args), ...containerArgs(o.container.args ?? [], o.overrideArgs), ...(o.extraArgs ?? [])];
  const child: ChildProcess = spawnInRootfs({ rootfs: o.image.rootfs, argv, uid, gid, env, serviceAccountDir: o.serviceAccountDir });
  return supervise(child, echo);
}

/** Log lines, readiness, HTTP ports and stopping for a controller child process. */
function supervise(child: ChildProcess, echo: boolean): ControllerProcess {
  const lines: LogLine[] = [];
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exited = code))));
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (echo) process.stderr.write(`[sluice image] ${d}`);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (echo) process.stderr.write(`[sluice image] ${line}\n`);
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
      if (exited !== undefined) throw new Error(`sluice (image) exited (${exited}) before ${what}: ${stderr.join('').trim()}`);
      if (performance.now() > deadline) throw new Error(`sluice (image) did not report ${what} in time`);
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
