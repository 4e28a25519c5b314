/**
 * Endpoint health for `getHealth`: a test override when one is set, else a TCP connect from
 * this process to ip:port. Only loopback (127.0.0.0/8) and the pod network (10.0.0.0/8) are
 * ever connected to; any other address is UNHEALTHY without a connection attempt.
 */
import { connect } from 'node:net';

export type HealthState = 'HEALTHY' | 'UNHEALTHY';

export const PROBE_ALLOWED_PREFIXES: readonly string[] = ['127.', '10.'];

export function probeAllowed(ip: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && PROBE_ALLOWED_PREFIXES.some((p) => ip.startsWith(p));
}

export class EndpointHealth {
  readonly #overrides = new Map<string, HealthState>();
  readonly #timeoutMs: number;

  /** @param timeoutMs connect timeout per probe. */
  constructor(timeoutMs = 1_000) {
    this.#timeoutMs = timeoutMs;
  }

  set(ip: string, port: number, state: HealthState | undefined): void {
    if (state === undefined) this.#overrides.delete(`${ip}:${port}`);
    else this.#overrides.set(`${ip}:${port}`, state);
  }

  async check(ip: string, port: number): Promise<HealthState> {
    const override = this.#overrides.get(`${ip}:${port}`);
    if (override !== undefined) return override;
    if (!probeAllowed(ip) || !(port > 0 && port < 65536)) return 'UNHEALTHY';
    return new Promise<HealthState>((resolve) => {
      const socket = connect({ host: ip, port });
      const done = (state: HealthState) => {
        socket.destroy();
        resolve(state);
      };
      socket.setTimeout(this.#timeoutMs, () => done('UNHEALTHY'));
      socket.once('connect', () => done('HEALTHY'));
      socket.once('error', () => done('UNHEALTHY'));
    });
  }
}
