/**
 * A readiness prober for one container, with the kubelet's counting rules: readiness starts
 * false, turns true after `successThreshold` consecutive successes and false after
 * `failureThreshold` consecutive failures. httpGet (2xx/3xx is success) and tcpSocket are
 * performed against the pod IP only, whatever `host` the probe names; exec and grpc probes
 * cannot be simulated and always succeed.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

/** Options for {@link startReadinessProber}. */
export interface ReadinessProberOptions {
  probe: V1Probe;
  container: V1Container;
  podIp: string;
  /**
   * Multiplies every probe duration (initial delay, period, timeout): 0.1 runs probes ten
   * times faster than the spec says.
   * @default 1
   */
  timeScale?: number;
  /** Called whenever the readiness verdict flips. */
  onChange(ready: boolean): void;
}

export interface ReadinessProber {
  readonly ready: boolean;
  stop(): void;
}

/** Resolves a probe port (number, numeric string, or a named container port). */
export function resolvePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** One probe attempt; resolves true on success. Never rejects. */
export function probeOnce(probe: V1Probe, container: V1Container, podIp: string, timeoutMs: number): Promise<boolean> {
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port as number | string, container);
    if (port === undefined) return Promise.resolve(false);
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const req = request(
        { host: podIp, port, path: probe.httpGet?.path || '/', method: 'GET', headers, agent: false, timeout: timeoutMs },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, container);
    if (port === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const socket = connect({ host: podIp, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }
  return Promise.resolve(true);
}

/** Starts probing; the first attempt runs after `initialDelaySeconds`. */
export function startReadinessProber(options: ReadinessProberOptions): ReadinessProber {
  const scale = options.timeScale ?? 1;
  const probe = options.probe;
  // The API server defaults unset values (period 10 s, timeout 1 s, thresholds 1/3); the
  // fallbacks only matter for objects that never went through it.
  const periodMs = (probe.periodSeconds ?? 1) * 1000 * scale;
  const timeoutMs = Math.max(50, (probe.timeoutSeconds ?? 1) * 1000 * scale);
  const successThreshold = probe.successThreshold ?? 1;
  const failureThreshold = probe.failureThreshold ?? 3;
  let ready = false;
  let successes = 0;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    const ok = await probeOnce(probe, options.container, options.podIp, timeoutMs);
    if (stopped) return;
    if (ok) {
      successes++;
      failures = 0;
      if (!ready && successes >= successThreshold) {
        ready = true;
        options.onChange(true);
      }
    } else {
      failures++;
      successes = 0;
      if (ready && failures >= failureThreshold) {
        ready = false;
        options.onChange(false);
      }
    }
    if (!stopped) timer = setTimeout(run, periodMs);
  };
  timer = setTimeout(run, (probe.initialDelaySeconds ?? 0) * 1000 * scale);

  return {
    get ready() {
      return ready;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
