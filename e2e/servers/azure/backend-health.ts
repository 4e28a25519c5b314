/**
 * Backend health for the load-balancing-rule health query
 * (`POST …/loadBalancingRules/{rule}/health`). Per backend address, in this order:
 * 1. `adminState` Up or Down wins (reasons `Up_Admin` / `Down_Admin`);
 * 2. a state a test set with {@link BackendHealth.set} (reasons `Up_Probe_Success` / `Down_Probe_Failure`);
 * 3. otherwise the server probes the address itself, as the load balancer would: with the
 *    rule's probe (TCP connect; HTTP/HTTPS GET of its requestPath needing 200) on the probe's
 *    port, or, with `mode: 'tcp-backend-port'` or a rule without probe, a TCP connect to the
 *    rule's backend port.
 *
 * The server only ever connects to addresses that are registered in a backend pool (the
 * caller passes only those) and that lie in 127.0.0.0/8 or 10.0.0.0/8 (loopback and the
 * test run's pod network); any other address is reported Down without a connection.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv4, Socket } from 'node:net';
import { cidrContains } from './virtual-network.ts';

export type HealthState = 'Up' | 'Down';

/** The only ranges the server will open a connection to. */
export const PROBE_ALLOWED_CIDRS: readonly string[] = ['127.0.0.0/8', '10.0.0.0/8'];

export interface ProbeTarget {
  readonly ipAddress: string;
  readonly adminState: string | undefined;
  /** The port to probe. */
  readonly port: number;
  /** `Tcp`, `Http` or `Https`. */
  readonly protocol: string;
  readonly requestPath: string | undefined;
}

export interface HealthResult {
  readonly state: HealthState;
  readonly reason: string;
}

export interface BackendHealthOptions {
  /**
   * How long one probe may take before the address counts as Down, in milliseconds.
   * @default 500
   */
  readonly timeoutMs?: number;
}

export function probeAllowed(ip: string): boolean {
  return isIPv4(ip) && PROBE_ALLOWED_CIDRS.some((c) => cidrContains(c, ip));
}

function tcpConnect(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, ip, () => done(true));
  });
}

function httpProbe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const send = target.protocol === 'Https' ? httpsRequest : httpRequest;
    const req = send(
      { host: target.ipAddress, port: target.port, path: target.requestPath || '/', method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class BackendHealth {
  readonly #overrides = new Map<string, HealthState>();
  readonly #timeoutMs: number;

  constructor(options: BackendHealthOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 500;
  }

  /** Fixes the health of `ip` (undefined: probe it again). */
  set(ip: string, state: HealthState | undefined): void {
    if (state === undefined) this.#overrides.delete(ip);
    else this.#overrides.set(ip, state);
  }

  override(ip: string): HealthState | undefined {
    return this.#overrides.get(ip);
  }

  async check(target: ProbeTarget): Promise<HealthResult> {
    if (target.adminState === 'Up') return { state: 'Up', reason: 'Up_Admin' };
    if (target.adminState === 'Down') return { state: 'Down', reason: 'Down_Admin' };
    const fixed = this.#overrides.get(target.ipAddress);
    if (fixed !== undefined) return { state: fixed, reason: fixed === 'Up' ? 'Up_Probe_Success' : 'Down_Probe_Failure' };
    if (!probeAllowed(target.ipAddress) || target.port <= 0) return { state: 'Down', reason: 'Down_Probe_Failure' };
    const ok = target.protocol === 'Tcp' ? await tcpConnect(target.ipAddress, target.port, this.#timeoutMs) : await httpProbe(target, this.#timeoutMs);
    return ok ? { state: 'Up', reason: 'Up_Probe_Success' } : { state: 'Down', reason: 'Down_Probe_Failure' };
  }
}
