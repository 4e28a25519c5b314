/** An engine with one target group and one listener on an ephemeral loopback port. Test-only. */
import type { ListenerState, TargetHealthState } from '../data-plane.ts';
import { createEngine, type DataPlaneEngine, type EngineOptions } from '../engine.ts';
import type { HealthCheckSpec, ListenerSpec, TargetGroupSpec } from '../spec.ts';
import { waitFor } from '../testing/sockets.ts';

export interface Fixture {
  readonly engine: DataPlaneEngine;
  readonly listener: ListenerState;
  /** Where clients connect. */
  readonly address: { readonly address: string; readonly port: number };
}

export interface FixtureOptions extends EngineOptions {
  readonly group?: Partial<TargetGroupSpec>;
  readonly healthCheck?: HealthCheckSpec | null;
  readonly listener?: Partial<ListenerSpec>;
}

/** The fixture; the health check defaults to TCP, 10 s interval, thresholds 1, under the time scale given (default 0.01). */
export async function fixture(options: FixtureOptions = {}): Promise<Fixture> {
  const engine = createEngine({ timeScale: 0.01, ...options });
  await engine.putTargetGroup({ name: 'tg', ...options.group });
  if (options.healthCheck !== null) {
    await engine.putHealthCheck('tg', { intervalMs: 10_000, timeoutMs: 5_000, healthyThreshold: 1, unhealthyThreshold: 1, ...options.healthCheck });
  }
  const listener = await engine.putListener({ name: 'l', port: 0, targetGroup: 'tg', ...options.listener });
  return { engine, listener, address: { address: listener.bound.address, port: listener.bound.port } };
}

/** Waits until the target `ip:port` of group `tg` reports `state`. */
export function waitForState(engine: DataPlaneEngine, port: number, state: TargetHealthState, group = 'tg', timeoutMs = 5000): Promise<true> {
  return waitFor(
    `target port ${port} ${state}`,
    async () => ((await engine.targetHealth(group)).some((t) => t.port === port && t.state === state) ? true : undefined),
    timeoutMs,
  );
}
