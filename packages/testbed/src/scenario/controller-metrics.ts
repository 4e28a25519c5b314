/**
 * Counters read from the controller's /metrics text, the way a Prometheus query would sum
 * them: provider calls by operation (all outcomes), reconciles, leadership.
 */
import type { ControllerProcess } from './controller-process.ts';

/** Sum of every sample of `name` whose labels include all of `labels` (0 when none). */
export function sumSamples(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}

export interface WriteCounts {
  /** sluice_provider_calls_total{operation="ensureLoadBalancer"}, every outcome. */
  readonly ensure: number;
  /** sluice_provider_calls_total{operation="updateLoadBalancer"}, every outcome. */
  readonly update: number;
  /** sluice_reconcile_total, every result. */
  readonly reconciles: number;
  /** sluice_leader. */
  readonly leader: number;
}

export async function writeCounts(controller: ControllerProcess): Promise<WriteCounts> {
  const { body } = await controller.get('/metrics');
  return {
    ensure: sumSamples(body, 'sluice_provider_calls_total', { operation: 'ensureLoadBalancer' }),
    update: sumSamples(body, 'sluice_provider_calls_total', { operation: 'updateLoadBalancer' }),
    reconciles: sumSamples(body, 'sluice_reconcile_total'),
    leader: sumSamples(body, 'sluice_leader'),
  };
}

export function formatCounts(c: WriteCounts): string {
  return `ensureLoadBalancer ${c.ensure}, updateLoadBalancer ${c.update}, reconciles ${c.reconciles}, leader ${c.leader}`;
}
