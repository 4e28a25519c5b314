/**
 * Planner cost as Services grow: buildDesired + plan for an idle resync (nothing changed,
 * must produce 0 actions), one rolling-update step (1 register + 1 drain), and a cold start
 * (everything registers). Times are medians; the ratio column compares each case with the
 * idle resync at the same size, and the per-backend column shows how cost grows.
 */
import { type BackendStatus, buildDesired, plan } from '@sluice/core';
import { pod, service, slice } from '@sluice/core/testing';
import { medianMicros, printTable } from './table.ts';

function fixture(n: number) {
  const pods = Array.from({ length: n }, (_, i) => pod({ name: `p${i}`, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
  const actual: BackendStatus[] = pods.map((p) => ({
    servicePort: 'http',
    ip: p.status!.podIP!,
    port: 8080,
    podUid: p.metadata!.uid!,
    weight: 1,
    health: 'healthy',
  }));
  return { pods, actual };
}

export function runPlannerBench(sizes: readonly number[] = [100, 1_000, 10_000]): void {
  const rows: string[][] = [];
  for (const n of sizes) {
    const { pods, actual } = fixture(n);
    const svc = service();
    const runs = n >= 10_000 ? 15 : 50;
    let idleActions = -1;
    const idle = medianMicros(() => {
      const d = buildDesired(svc, [slice(pods)], pods);
      idleActions = plan(d.backends, actual, { weights: true }).length;
    }, runs);
    const stepPods = [...pods.slice(1), pod({ name: 'new', ip: '10.255.255.254' }), pod({ name: 'p0x', ip: pods[0]!.status!.podIP!, uid: pods[0]!.metadata!.uid!, state: 'terminating' })];
    const step = medianMicros(() => {
      const d = buildDesired(svc, [slice(stepPods)], stepPods);
      plan(d.backends, actual, { weights: true });
    }, runs);
    const cold = medianMicros(() => {
      const d = buildDesired(svc, [slice(pods)], pods);
      plan(d.backends, [], { weights: true });
    }, runs);
    rows.push([
      String(n),
      String(idleActions),
      idle.toFixed(0),
      step.toFixed(0),
      (step / idle).toFixed(2),
      cold.toFixed(0),
      (cold / idle).toFixed(2),
      (idle / n).toFixed(2),
    ]);
  }
  printTable(
    'planner: buildDesired + plan, median µs',
    ['backends', 'idle actions', 'idle resync', 'rollout step', 'step/idle', 'cold start', 'cold/idle', 'idle µs/backend'],
    rows,
  );
}
