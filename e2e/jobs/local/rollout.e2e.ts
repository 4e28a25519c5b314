/**
 * e2e/local: the real controller (`--provider local`, the embedded timing profile, through the
 * testbed's provider rollout scenario) against a real API server, the pod
 * network and the kubelet simulator. Five replicas, maxSurge 1 / maxUnavailable 0, steady
 * load of new and keep-alive connections, three rollouts then scale 5 -> 1 -> 5, for both
 * app behaviours on SIGTERM: zero failed requests with Sluice's gate and drain. Then the
 * same with both switched off, which must lose requests, proving the test can fail.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { consoleLogger } from '@sluice/testbed/harness';
import type { LoadResult } from '@sluice/testbed/load';
import { drainLatencies, EMBEDDED_PROFILE, type Environment, gateLatencies, LOCAL_PROVIDER, percentile, runProviderRollout, startEnvironment, watchPodTimeline } from '@sluice/testbed/scenario';

// The embedded profile sets --local-health-interval-ms 200; the gate reads health every 100 ms.
const FAST = ['--health-poll-ms', '100', '--resync-period', '30'];
const BEHAVIOURS = ['keep-serving', 'close'] as const;
const log = consoleLogger('e2e/local');
let env: Environment;

before(async () => {
  env = await startEnvironment(log);
  log.info(`environment up: control plane ${env.timings.controlPlaneMs} ms, pod network ${env.timings.networkMs} ms, node ${env.timings.nodeMs} ms`);
});
after(async () => {
  await env?.stop();
});

async function runMode(mode: 'sluice' | 'off', extra: readonly string[]) {
  const timeline = await watchPodTimeline(env.kubeConfig);
  let metricsText = '';
  let drains: { podUid: string; wallMs: number }[] = [];
  try {
    const run = await runProviderRollout({
      env,
      provider: LOCAL_PROVIDER,
      profile: EMBEDDED_PROFILE,
      behaviours: BEHAVIOURS,
      controllerArgs: [...FAST, ...extra],
      namespacePrefix: mode,
      say: (line) => log.info(`${mode}: ${line}`),
      // What an operator's scrape sees after the rollouts, fetched with curl like one would.
      inspect: async (controller) => {
        const { metrics: metricsPort } = await controller.ports();
        metricsText = execFileSync('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${metricsPort}/metrics`], { encoding: 'utf8' });
        drains = controller.drains();
      },
    });
    const results: Record<string, LoadResult> = Object.fromEntries(run.runs.map((r) => [r.sigterm, r]));
    const latencies = { gateMs: run.runs.flatMap((r) => r.gateMs), drainMs: run.runs.flatMap((r) => r.drainMs) };
    return { results, metricsText, latencies, watched: { gateMs: gateLatencies(timeline), drainMs: drainLatencies(timeline, drains) } };
  } finally {
    await timeline.stop();
  }
}

test('rolling updates and scale lose no request with Sluice; they do without the gate and drain', { timeout: 1_500_000 }, async () => {
  const on = await runMode('sluice', []);
  const off = await runMode('off', ['--no-readiness-gate', '--no-drain']);

  const row = (name: string, r: LoadResult | undefined) =>
    `${name.padEnd(28)} ${String(r?.requests ?? 0).padStart(9)} ${String(r?.failed ?? 0).padStart(7)}  ${JSON.stringify(r?.failures ?? {})}`;
  const lines = [
    `${'mode / SIGTERM behaviour'.padEnd(28)} ${'requests'.padStart(9)} ${'failed'.padStart(7)}  failures by cause`,
    ...BEHAVIOURS.map((b) => row(`sluice gate+drain / ${b}`, on.results[b])),
    ...BEHAVIOURS.map((b) => row(`gate+drain off / ${b}`, off.results[b])),
  ];
  const { gateMs, drainMs } = on.latencies;
  const stat = (xs: number[]) => `n=${xs.length}: p50 ${percentile(xs, 50)} ms, p99 ${percentile(xs, 99)} ms`;
  lines.push(
    `gate, controller view (containers ready seen -> condition patched True) ${stat(gateMs)}`,
    `gate, outside watcher (ContainersReady True seen -> gate True seen)   ${stat(on.watched.gateMs)}`,
    `drain, controller view (deletionTimestamp seen -> weight 0 applied)   ${stat(drainMs)}`,
    `drain, outside watcher (deletionTimestamp seen -> weight 0 applied)   ${stat(on.watched.drainMs)}`,
  );
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  for (const b of BEHAVIOURS) {
    assert.ok((on.results[b]?.requests ?? 0) > 1000, `enough load went through (${b})`);
    assert.equal(on.results[b]?.failed, 0, `Sluice lost requests with SIGTERM behaviour ${b}: ${JSON.stringify(on.results[b]?.failures)}`);
  }
  const offFailed = BEHAVIOURS.reduce((n, b) => n + (off.results[b]?.failed ?? 0), 0);
  assert.ok(offFailed > 0, 'without the gate and the drain, rollouts must lose requests (else this test proves nothing)');
  assert.ok(gateMs.length >= 15 && drainMs.length >= 15, 'the gate and drain were exercised on every replaced pod');

  // /metrics (curl'd from the controller before it stopped) carries both histograms, non-zero.
  const histogram = (name: string) =>
    on.metricsText.split('\n').filter((l) => l.startsWith(`${name}_count`) || l.startsWith(`${name}_sum`) || (l.startsWith(`${name}_bucket`) && /le="(0\.5|1|0\.01|0\.05)"/.test(l)));
  const shown = [...histogram('sluice_readiness_gate_wait_seconds'), ...histogram('sluice_drain_latency_seconds')];
  process.stdout.write(`curl /metrics (excerpt):\n${shown.join('\n')}\n\n`);
  const count = (name: string) => Number(new RegExp(`^${name}_count(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(on.metricsText)?.[1] ?? 0);
  assert.ok(count('sluice_readiness_gate_wait_seconds') >= 15, `gate histogram count ${count('sluice_readiness_gate_wait_seconds')}`);
  assert.ok(count('sluice_drain_latency_seconds') >= 15, `drain histogram count ${count('sluice_drain_latency_seconds')}`);
  assert.equal(count('sluice_readiness_gate_wait_seconds'), gateMs.length, 'one gate observation per logged gate pass');
});
