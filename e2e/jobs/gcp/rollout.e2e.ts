/**
 * e2e/gcp rollout: the testbed's rollout-loss scenario through the proxy-NLB twin. The real
 * controller (`--provider gcp`, the real @google-cloud/compute clients) against the Compute
 * test server, whose data plane process carries the traffic: a listener on the forwarding
 * rule's address, the pods of two zones behind two zonal NEGs, health checks at the
 * GCP_PROXY_NLB_PROFILE timings (5 s, 2/2, time-scaled x0.2), NEG detach under connection
 * draining, the VPC firewall in the path. Zero failed requests with Sluice; without the gate
 * and the drain, rollouts lose requests (else the test proves nothing).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger } from '@sluice/testbed/harness';
import type { LoadResult } from '@sluice/testbed/load';
import { assertReadBudget, type Environment, GCP_PROXY_NLB_PROFILE, percentile, rolloutCostLines, runProviderRollout, startEnvironment } from '@sluice/testbed/scenario';
import { type ComputeServer, computeCallBudget } from '../../servers/gcp/index.ts';
import { gcpProviderUnderTest, ZONES } from './gcp-twin.ts';

const log = consoleLogger('e2e/gcp-rollout');
let env: Environment;

before(async () => {
  env = await startEnvironment(log, { zones: ZONES });
});
after(async () => {
  await env?.stop();
});

async function runMode(mode: 'sluice' | 'off', behaviours: readonly ('keep-serving' | 'close')[], extra: readonly string[]) {
  let served: string[] = [];
  let compute: ComputeServer | undefined;
  const run = await runProviderRollout({
    env,
    provider: gcpProviderUnderTest({ controllerArgs: extra, onStarted: (t) => (compute = t.compute) }),
    profile: GCP_PROXY_NLB_PROFILE,
    behaviours,
    rollouts: 2,
    namespacePrefix: `gcp-${mode}`,
    say: (line) => log.info(`${mode}: ${line}`),
    onServing: async () => {
      // Pods in both zones before the load starts: the load balancer spans two zonal NEGs.
      const pods = await env.kubeConfig.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces();
      const nodes = pods.items.filter((p) => p.metadata?.namespace?.startsWith(`gcp-${mode}-`)).map((p) => p.spec?.nodeName ?? '?');
      served = [...new Set([...served, ...nodes])].sort();
    },
  });
  // What the controller asked of Compute through the run, and how many of its requests the per-minute quotas refused (429).
  const requests = compute?.requests.entries() ?? [];
  const budget = computeCallBudget(requests);
  const throttled = requests.filter((r) => r.fault === 'rate-limited').length;
  return { run, served, compute: `${budget.reads} reads, ${budget.writes} writes, ${budget.polls} operation polls, ${throttled} answered 429` };
}

test('rolling updates through the proxy-NLB twin lose no request with Sluice; they do without the gate and drain', { timeout: 900_000 }, async () => {
  const on = await runMode('sluice', ['keep-serving', 'close'], []);
  const off = await runMode('off', ['close'], ['--no-readiness-gate', '--no-drain']);

  const row = (name: string, r: LoadResult | undefined) =>
    `${name.padEnd(28)} ${String(r?.requests ?? 0).padStart(9)} ${String(r?.failed ?? 0).padStart(7)}  ${JSON.stringify(r?.failures ?? {})}`;
  const gateMs = on.run.runs.flatMap((r) => r.gateMs);
  const drainMs = on.run.runs.flatMap((r) => r.drainMs);
  const stat = (xs: readonly number[]) => `n=${xs.length}: p50 ${percentile([...xs], 50)} ms, p99 ${percentile([...xs], 99)} ms`;
  const lines = [
    `gcp through the proxy-NLB twin, ${on.run.described}`,
    `pods on nodes ${on.served.join(', ')}`,
    `${'mode / SIGTERM behaviour'.padEnd(28)} ${'requests'.padStart(9)} ${'failed'.padStart(7)}  failures by cause`,
    ...on.run.runs.map((r) => row(`sluice gate+drain / ${r.sigterm}`, r)),
    ...off.run.runs.map((r) => row(`gate+drain off / ${r.sigterm}`, r)),
    `gate (containers ready -> condition True) ${stat(gateMs)}`,
    `drain (deletionTimestamp -> endpoint detached) ${stat(drainMs)}`,
    `Compute requests, sluice: ${on.compute}; off: ${off.compute}`,
    ...rolloutCostLines('sluice', on.run.runs),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  assert.deepEqual(on.served, ZONES.map((z) => `sim-${z}`), 'pods in both zones');
  for (const r of on.run.runs) {
    assert.ok(r.requests > 500, `enough load went through (${r.sigterm}): ${r.requests}`);
    assert.equal(r.failed, 0, `Sluice lost requests with SIGTERM behaviour ${r.sigterm}: ${JSON.stringify(r.failures)}`);
  }
  const offFailed = off.run.runs.reduce((n, r) => n + r.failed, 0);
  assert.ok(offFailed > 0, 'without the gate and the drain, rollouts must lose requests (else this test proves nothing)');
  // Each replaced pod waited for two passing checks, the first at attach, the second one scaled 5 s interval (1 s) later.
  assert.ok(gateMs.length >= 10 && percentile([...gateMs], 50) >= 900, `gates waited for the twin's health checks: ${stat(gateMs)}`);
  assertReadBudget(on.run.runs);
});
