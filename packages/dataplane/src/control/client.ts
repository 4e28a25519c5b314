/**
 * A {@link DataPlane} that programs a data plane process over its control API (node:http
 * on the UNIX domain socket). It holds no state of its own: dropping it, or the process that
 * holds it, leaves the engine and its traffic untouched, and a new client reads everything
 * back with `state()`.
 */
import { Agent, request } from 'node:http';
import type { DataPlane, DataPlaneState, ListenerState, StateScope, TargetHealth } from '../data-plane.ts';
import { ControlApiError } from '../errors.ts';
import type { FirewallAction, FirewallRule, ResolvedFirewallRule } from '../firewall.ts';
import type { HealthCheckSpec, ListenerSpec, ResolvedHealthCheckSpec, ResolvedTargetGroupSpec, TargetGroupSpec, TargetRef, TargetSpec } from '../spec.ts';
import type { DataPlaneStats } from '../stats.ts';
import { errorFromResponse, paths } from './protocol.ts';

export interface DataPlaneClientOptions {
  /**
   * How long one request may take before it rejects with a ControlApiError.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
}

/** The remote {@link DataPlane}, plus closing the client's own connections. */
export interface DataPlaneClient extends DataPlane {
  readonly socketPath: string;
  /** Closes this client's connections to the control socket; the engine keeps running. */
  disconnect(): void;
}

/**
 * Connects to the control API on `socketPath` and checks that it answers; rejects with a
 * ControlApiError when nothing serves there.
 */
export async function connectDataPlane(socketPath: string, options: DataPlaneClientOptions = {}): Promise<DataPlaneClient> {
  const client = new RemoteDataPlane(socketPath, options.requestTimeoutMs ?? 30_000);
  try {
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

class RemoteDataPlane implements DataPlaneClient {
  readonly socketPath: string;
  readonly #timeoutMs: number;
  readonly #agent = new Agent({ keepAlive: true });

  constructor(socketPath: string, timeoutMs: number) {
    this.socketPath = socketPath;
    this.#timeoutMs = timeoutMs;
  }

  async ping(): Promise<void> {
    await this.#call('GET', paths.ping);
  }

  putTargetGroup(spec: TargetGroupSpec): Promise<ResolvedTargetGroupSpec> {
    return this.#call('PUT', paths.targetGroup(spec.name), spec);
  }

  deleteTargetGroup(name: string): Promise<void> {
    return this.#call('DELETE', paths.targetGroup(name));
  }

  putHealthCheck(targetGroup: string, spec: HealthCheckSpec): Promise<ResolvedHealthCheckSpec> {
    return this.#call('PUT', paths.healthCheck(targetGroup), spec);
  }

  deleteHealthCheck(targetGroup: string): Promise<void> {
    return this.#call('DELETE', paths.healthCheck(targetGroup));
  }

  registerTargets(targetGroup: string, targets: readonly TargetSpec[]): Promise<void> {
    return this.#call('POST', paths.register(targetGroup), { targets });
  }

  deregisterTargets(targetGroup: string, targets: readonly TargetRef[]): Promise<void> {
    return this.#call('POST', paths.deregister(targetGroup), { targets });
  }

  setTargets(targetGroup: string, targets: readonly TargetSpec[]): Promise<void> {
    return this.#call('PUT', paths.targets(targetGroup), { targets });
  }

  targetHealth(targetGroup: string): Promise<TargetHealth[]> {
    return this.#call('GET', paths.targets(targetGroup));
  }

  putListener(spec: ListenerSpec): Promise<ListenerState> {
    return this.#call('PUT', paths.listener(spec.name), spec);
  }

  deleteListener(name: string): Promise<void> {
    return this.#call('DELETE', paths.listener(name));
  }

  putFirewallRule(rule: FirewallRule): Promise<ResolvedFirewallRule> {
    return this.#call('PUT', paths.firewallRule(rule.name), rule);
  }

  deleteFirewallRule(name: string): Promise<void> {
    return this.#call('DELETE', paths.firewallRule(name));
  }

  setFirewallDefault(action: FirewallAction): Promise<void> {
    return this.#call('PUT', paths.firewallDefault, { action });
  }

  setTimeScale(timeScale: number): Promise<void> {
    return this.#call('PUT', paths.timeScale, { timeScale });
  }

  state(scope?: StateScope): Promise<DataPlaneState> {
    return this.#call('GET', scope ? paths.scopedState(scope.prefix) : paths.state);
  }

  stats(): Promise<DataPlaneStats> {
    return this.#call('GET', paths.stats);
  }

  disconnect(): void {
    this.#agent.destroy();
  }

  /** One request; resolves with the parsed body (undefined for 204), rejects with the typed error the server named. */
  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        path,
        method,
        agent: this.#agent,
        headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      });
      req.setTimeout(this.#timeoutMs, () =>
        req.destroy(new ControlApiError(`The data plane on ${this.socketPath} did not answer ${method} ${path} within ${this.#timeoutMs} ms.`)),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ControlApiError) reject(error);
        else reject(new ControlApiError(`The data plane control socket ${this.socketPath} cannot be reached (${error.code ?? error.message}); is sluice-dataplane running?`, { cause: error }));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            reject(new ControlApiError(`The data plane answered ${method} ${path} with HTTP ${status} and a body that is not JSON.`, { status }));
            return;
          }
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(errorFromResponse(status, parsed));
        });
      });
      req.end(text);
    });
  }
}
