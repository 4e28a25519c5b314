/**
 * How the bench programs a @sluice/dataplane engine: the embedded provider's configuration
 * (the package README's "The embedded provider as a configuration"), written once and used
 * through the `DataPlane` interface by both the in-process child and the out-of-process
 * client, so the two rows differ only in where the engine runs.
 */
import type { DataPlane } from '@sluice/dataplane';
import type { BackendRef } from './backends.ts';
import { sleep } from './net-util.ts';

const group = 'bench';
const listener = 'bench:http';

/**
 * Creates the target group (weight-0 drain, fail-open, 2 connect retries), a TCP health check
 * like HAProxy's (every 1 s, 2 to rise, 2 to fall), every backend at weight 1 and a listener
 * on an ephemeral loopback port; resolves with that port once every backend is healthy.
 */
export async function programEngine(plane: DataPlane, backends: readonly BackendRef[]): Promise<number> {
  await plane.putTargetGroup({ name: group, drain: { mode: 'weight0' }, failOpen: true, connectRetries: 2, connectTimeoutMs: 1000, countConnectFailures: true });
  await plane.putHealthCheck(group, { protocol: 'tcp', intervalMs: 1000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 2 });
  await setWeights(plane, backends, {});
  const state = await plane.putListener({ name: listener, address: '127.0.0.1', port: 0, targetGroup: group });
  await waitHealthy(plane, backends.length, 10_000);
  return state.bound.port;
}

/** Sets every backend's weight (ids not listed: 1); 0 drains in place (weight0 mode). */
export async function setWeights(plane: DataPlane, backends: readonly BackendRef[], weights: Readonly<Record<string, number>>): Promise<void> {
  await plane.setTargets(
    group,
    backends.map((b) => ({ ip: '127.0.0.1', port: b.port, weight: weights[b.id] ?? 1, registration: `pod-${b.id}` })),
  );
}

async function waitHealthy(plane: DataPlane, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    const health = await plane.targetHealth(group);
    if (health.length === count && health.every((h) => h.state === 'healthy')) return;
    last = health.map((h) => `${h.port} ${h.state}${h.reason === undefined ? '' : ` (${h.reason})`}`).join(', ');
    await sleep(50);
  }
  throw new Error(`engine targets not all healthy after ${timeoutMs} ms: ${last}`);
}
