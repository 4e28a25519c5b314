/**
 * The controller's `sluice_backends` gauge (registrations on the load balancers by health
 * state, as the controller last read them from the provider), read from /metrics. With one
 * Service on the controller it says how many backends the LB serves, is checking, or holds at
 * weight 0 (`draining`).
 */
import type { ControllerProcess } from './controller-process.ts';

export type BackendCounts = Readonly<Record<'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused', number>>;

/** Parses the gauge's samples (summed over any other labels) from a /metrics text. */
export function parseBackendGauge(text: string): BackendCounts {
  const counts = { initial: 0, healthy: 0, unhealthy: 0, draining: 0, unused: 0 };
  for (const line of text.split('\n')) {
    const m = /^sluice_backends\{([^}]*)\} (\S+)$/.exec(line);
    const state = m && /(?:^|,)state="(\w+)"/.exec(m[1]!)?.[1];
    if (state && state in counts) counts[state as keyof typeof counts] += Number(m[2]);
  }
  return counts;
}

export async function readBackendGauge(controller: ControllerProcess): Promise<BackendCounts> {
  const { status, body } = await controller.get('/metrics');
  if (status !== 200) throw new Error(`GET /metrics answered ${status}`);
  return parseBackendGauge(body);
}

export function formatBackendCounts(c: BackendCounts): string {
  return `healthy ${c.healthy}, initial ${c.initial}, unhealthy ${c.unhealthy}, draining ${c.draining}`;
}
