/**
 * Planner cost as Services grow: buildDesired + plan for an idle resync (nothing changed,
 * must produce 0 actions), one rolling-update step (1 register + 1 drain), and a cold start
 * (everything registers). Times are medians; the ratio column compares each case with the
 * idle resync at the same size, and the per-backend column shows how cost grows.
 */
import { appliedSpecDigest, type BackendStatus, buildDesired, decide, plan, toServiceView } from '@sluice/core';
import { pod, RecordingProvider, service, slice } from '@sluice/core/testing';
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

/**
 * The whole decision of a reconcile (decide: model, Service checks, plan, gates, events) next to
 * the model + plan alone, at each size: what the one pure decision path costs on top.
 */
export function runDecideBench(sizes: readonly number[] = [100, 1_000, 10_000]): void {
  const rows: string[][] = [];
  const provider = new RecordingProvider();
  for (const n of sizes) {
    const { actual } = fixture(n);
    // Steady state: every pod already passed its gate.
    const pods = Array.from({ length: n }, (_, i) => pod({ name: `p${i}`, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, gate: 'True' }));
    const base = service();
    const digest = appliedSpecDigest(toServiceView(base).view);
    const svc = { ...base, metadata: { ...base.metadata, finalizers: ['sluice.dev/load-balancer-cleanup'], annotations: { 'sluice.dev/applied-spec': digest } } };
    const slices = [slice(pods)];
    const runs = n >= 10_000 ? 15 : 50;
    const pair = medianMicros(() => {
      const d = buildDesired(svc, slices, pods);
      plan(d.backends, actual, { weights: true });
    }, runs);
    let writes = -1;
    const full = medianMicros(() => {
      const p = decide({
        service: svc,
        slices,
        pods,
        selectedPods: pods,
        provider,
        lb: { kind: 'trusted' },
        health: actual,
        memory: {},
        now: 0,
        options: { clusterName: 'bench', gateConditionType: 'sluice.dev/load-balancer-ready', handleUnclassed: true },
      });
      writes = p.drains.length + p.backends.length + p.gates.length + (p.loadBalancerOp ? 1 : 0);
    }, runs);
    rows.push([String(n), String(writes), pair.toFixed(0), full.toFixed(0), (full / pair).toFixed(2), (full / n).toFixed(2)]);
  }
  printTable('decide: the whole reconcile decision vs buildDesired + plan (idle resync), median µs', ['backends', 'planned writes', 'model+plan', 'decide', 'decide/model+plan', 'decide µs/backend'], rows);
}
