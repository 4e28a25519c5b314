/**
 * e2e/aws rollout: the real controller (`--provider aws`, the real AWS SDK) against the AWS
 * twin (moto behind the front, the NLB twin's data plane carrying the traffic), the real API
 * server and the kubelet simulator, through the testbed's provider rollout scenario at
 * AWS_NLB_PROFILE (NLB's default health checks, 30 s x 5, and 300 s deregistration delay,
 * time-scaled x0.02). Zero failed requests with Sluice's gate and drain; some lost with both
 * off, proving the measurement can fail. Prints the table.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleLogger } from '@sluice/testbed/harness';
import type { LoadResult } from '@sluice/testbed/load';
import { AWS_NLB_PROFILE, assertReadBudget, describeProfile, type Environment, percentile, rolloutCostLines, runProviderRollout, startEnvironment } from '@sluice/testbed/scenario';
import { awsProviderUnderTest } from '../../servers/aws/provider-under-test.ts';

const BEHAVIOURS = ['keep-serving', 'close'] as const;
const log = consoleLogger('e2e/aws-rollout');
let env: Environment;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await env?.stop();
});

async function runMode(mode: 'sluice' | 'off', extra: readonly string[]) {
  const run = await runProviderRollout({
    env,
    provider: awsProviderUnderTest(),
    profile: AWS_NLB_PROFILE,
    behaviours: BEHAVIOURS,
    rollouts: 2,
    controllerArgs: ['--resync-period', '30', ...extra],
    namespacePrefix: `aws-${mode}`,
    say: (line) => log.info(`${mode}: ${line}`),
  });
  return {
    results: Object.fromEntries(run.runs.map((r) => [r.sigterm, r])) as Record<string, LoadResult>,
    gateMs: run.runs.flatMap((r) => r.gateMs),
    drainMs: run.runs.flatMap((r) => r.drainMs),
    runs: run.runs,
  };
}

test('rolling updates through the NLB twin lose no request with Sluice; they do without the gate and drain', { timeout: 900_000 }, async () => {
  const on = await runMode('sluice', []);
  const off = await runMode('off', ['--no-readiness-gate', '--no-drain']);

  const row = (name: string, r: LoadResult | undefined) =>
    `${name.padEnd(28)} ${String(r?.requests ?? 0).padStart(9)} ${String(r?.failed ?? 0).padStart(7)}  ${JSON.stringify(r?.failures ?? {})}`;
  // The first check runs at registration, so healthyThreshold passes take at least (healthyThreshold - 1) scaled intervals.
  const floorMs = (AWS_NLB_PROFILE.healthyThreshold - 1) * AWS_NLB_PROFILE.healthIntervalMs * AWS_NLB_PROFILE.timeScale;
  const stat = (xs: number[]) => `n=${xs.length}: p50 ${percentile(xs, 50)} ms, p99 ${percentile(xs, 99)} ms`;
  const lines = [
    `aws through the NLB twin, ${describeProfile(AWS_NLB_PROFILE)}`,
    `${'mode / SIGTERM behaviour'.padEnd(28)} ${'requests'.padStart(9)} ${'failed'.padStart(7)}  failures by cause`,
    ...BEHAVIOURS.map((b) => row(`sluice gate+drain / ${b}`, on.results[b])),
    ...BEHAVIOURS.map((b) => row(`gate+drain off / ${b}`, off.results[b])),
    `gate (containers ready seen -> condition patched True) ${stat(on.gateMs)}; at least ${floorMs} ms of health checks`,
    `drain (deletionTimestamp seen -> deregistered)         ${stat(on.drainMs)}`,
    ...rolloutCostLines('sluice', on.runs),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  for (const b of BEHAVIOURS) {
    assert.ok((on.results[b]?.requests ?? 0) > 500, `enough load went through (${b})`);
    assert.equal(on.results[b]?.failed, 0, `Sluice lost requests through the NLB twin with SIGTERM behaviour ${b}: ${JSON.stringify(on.results[b]?.failures)}`);
  }
  const offFailed = BEHAVIOURS.reduce((n, b) => n + (off.results[b]?.failed ?? 0), 0);
  assert.ok(offFailed > 0, 'without the gate and the drain, rollouts through the NLB twin must lose requests (else this test proves nothing)');
  assert.ok(on.gateMs.length >= 10, `the gate was exercised on every replaced pod (${on.gateMs.length})`);
  assertReadBudget(on.runs);
  // The gate waited for the twin's health checks.
  assert.ok(Math.min(...on.gateMs) >= floorMs, `a gate passed in ${Math.min(...on.gateMs)} ms, faster than ${floorMs} ms of health checks`);
});
