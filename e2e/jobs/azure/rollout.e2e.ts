/**
 * e2e/azure rollout: the testbed's rollout-loss scenario through the Standard load balancer
 * twin at Azure's probe timings (AZURE_SLB_PROFILE, time-scaled): the real controller with
 * `--provider azure` and the real SDK programs the ARM test server, whose data plane carries
 * the load generator's traffic to the pods, through the network security group rules Sluice
 * writes. Zero failed requests with Sluice's gate and drain; with both off, rollouts must
 * lose requests (else the test proves nothing).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleLogger } from '@sluice/testbed/harness';
import type { LoadResult } from '@sluice/testbed/load';
import { AZURE_SLB_PROFILE, assertReadBudget, describeProfile, type Environment, percentile, rolloutCostLines, runProviderRollout, startEnvironment } from '@sluice/testbed/scenario';
import { azureTwinProvider, TWIN_NSG } from './twin-provider.ts';

const BEHAVIOURS = ['keep-serving', 'close'] as const;
const log = consoleLogger('e2e/azure-rollout');
let env: Environment;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await env?.stop();
});

async function runMode(mode: 'sluice' | 'off', extra: readonly string[], behaviours: readonly (typeof BEHAVIOURS)[number][]) {
  const run = await runProviderRollout({
    env,
    // The pods' subnet has a network security group with Azure's default rules only: every client flow
    // reaches the pods through the rules Sluice writes (--azure-nsg), pod addresses added before they join the pool.
    provider: azureTwinProvider({ controllerArgs: ['--azure-nsg', TWIN_NSG] }),
    profile: AZURE_SLB_PROFILE,
    behaviours,
    rollouts: 2,
    controllerArgs: ['--resync-period', '30', ...extra],
    namespacePrefix: `azure-${mode}`,
    say: (line) => log.info(`${mode}: ${line}`),
  });
  const results: Record<string, LoadResult> = Object.fromEntries(run.runs.map((r) => [r.sigterm, r]));
  return { results, gateMs: run.runs.flatMap((r) => r.gateMs), drainMs: run.runs.flatMap((r) => r.drainMs), runs: run.runs };
}

test('rollouts through the Standard LB twin at Azure probe timings lose no request with Sluice; they do with the gate and drain off', { timeout: 900_000 }, async () => {
  const on = await runMode('sluice', [], BEHAVIOURS);
  const off = await runMode('off', ['--no-readiness-gate', '--no-drain'], ['keep-serving']);

  const row = (name: string, r: LoadResult | undefined) =>
    `${name.padEnd(28)} ${String(r?.requests ?? 0).padStart(9)} ${String(r?.failed ?? 0).padStart(7)}  ${JSON.stringify(r?.failures ?? {})}`;
  const stat = (xs: readonly number[]) => `n=${xs.length}: p50 ${percentile([...xs], 50)} ms, p99 ${percentile([...xs], 99)} ms`;
  const lines = [
    `azure twin under ${describeProfile(AZURE_SLB_PROFILE)}`,
    `${'mode / SIGTERM behaviour'.padEnd(28)} ${'requests'.padStart(9)} ${'failed'.padStart(7)}  failures by cause`,
    ...BEHAVIOURS.map((b) => row(`sluice gate+drain / ${b}`, on.results[b])),
    row('gate+drain off / keep-serving', off.results['keep-serving']),
    `gate (containers ready -> condition True) ${stat(on.gateMs)}`,
    `drain (deletionTimestamp -> adminState Down applied) ${stat(on.drainMs)}`,
    ...rolloutCostLines('sluice', on.runs),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  for (const b of BEHAVIOURS) {
    assert.ok((on.results[b]?.requests ?? 0) > 500, `enough load went through (${b})`);
    assert.equal(on.results[b]?.failed, 0, `Sluice lost requests through the Azure twin with SIGTERM behaviour ${b}: ${JSON.stringify(on.results[b]?.failures)}`);
  }
  assert.ok((off.results['keep-serving']?.failed ?? 0) > 0, 'without the gate and the drain, rollouts through the twin must lose requests (else this test proves nothing)');
  assert.ok(on.gateMs.length >= 10 && on.drainMs.length >= 10, 'the gate and drain were exercised on every replaced pod');
  assertReadBudget(on.runs);
});
