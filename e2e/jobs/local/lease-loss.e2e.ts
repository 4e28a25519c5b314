/**
 * Losing and regaining the Lease changes nothing for unchanged Services. The controller
 * runs with leader election (lease 4 s, renew deadline 3 s, retry 1 s) and a 10 s resync.
 * With three Services in steady state, kube-apiserver is frozen (SIGSTOP) until the
 * controller gives up the Lease, then thawed; the controller wins it back, relists and
 * resyncs every Service. Its own /metrics must show not one more ensureLoadBalancer or
 * updateLoadBalancer call, and every Service must still answer through its LB.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, formatCounts, type LogLine, pauseApiServer, sampleResponders, startControllerProcess, startEnvironment, Workload, writeCounts, type WriteCounts } from '@sluice/testbed/scenario';

const LEASE_S = 4;
const RENEW_S = 3;
const RETRY_S = 1;
const RESYNC_S = 10;
const ARGS = [
  `--leader-election-lease-duration=${LEASE_S}`,
  `--leader-election-renew-deadline=${RENEW_S}`,
  `--leader-election-retry-period=${RETRY_S}`,
  '--leader-election-identity=lease-loss',
  `--resync-period=${RESYNC_S}`,
  '--health-poll-ms=100',
  '--local-health-interval-ms=200',
];
const LOST = 'leader election: lost the lease, stopping all writes';
const ACQUIRED = 'leader election: acquired the lease';
const RUNNING = 'sluice running';
const NAMES = ['alpha', 'beta', 'gamma'] as const;
const log = consoleLogger('e2e/lease-loss');
const say = (line: string) => process.stdout.write(`${line}\n`);
let env: Environment;
let controller: ControllerProcess | undefined;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await controller?.stop();
  await controller?.dataplane?.stop();
  await env?.stop();
});

/** Index of the first line at or after `from` with message `msg`, or undefined. */
function lineAfter(lines: readonly LogLine[], msg: string, from: number): number | undefined {
  for (let i = from; i < lines.length; i++) if (lines[i]!.msg === msg) return i;
  return undefined;
}

/** Waits until the provider write counts have not moved for `quietMs`; resolves with them. */
async function steadyCounts(c: ControllerProcess, quietMs: number, timeoutMs: number): Promise<WriteCounts> {
  let last = await writeCounts(c);
  let since = performance.now();
  const deadline = since + timeoutMs;
  for (;;) {
    await sleep(500);
    const now = await writeCounts(c);
    if (now.ensure !== last.ensure || now.update !== last.update) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return now;
    }
    if (performance.now() > deadline) throw new Error(`provider writes did not settle within ${timeoutMs} ms (${formatCounts(now)})`);
  }
}

test('after losing and regaining the Lease, unchanged Services get no provider write and keep serving', { timeout: 150_000 }, async () => {
  const c = (controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: ARGS }));
  await c.ready();
  const ports = await freeLoopbackPorts(NAMES.length);
  const workloads = NAMES.map((name, i) => new Workload(env.kubeConfig, { namespace: `lease-${name}`, name, replicas: 2, servicePort: ports[i]!, sigterm: 'close' }));
  for (const w of workloads) await w.create();
  for (const w of workloads) await w.waitForRollout(2);
  const addresses = await Promise.all(workloads.map((w) => w.waitForAddress()));
  const before = await steadyCounts(c, 3000, 30_000);
  say(`\n${NAMES.length} Services in steady state; /metrics before: ${formatCounts(before)}`);

  // Freeze the API server until the controller gives up the Lease.
  const mark = c.lines.length;
  const pausedAt = performance.now();
  let lostAfterMs: number | undefined;
  let leaderWhileLost: number | undefined;
  let servedWhilePaused: { byPod: Map<string, number>; failed: number }[] = [];
  {
    using pause = pauseApiServer(env.server);
    say(`kube-apiserver (pid ${pause.pid}) stopped with SIGSTOP`);
    await waitFor('the controller to log that it lost the lease', () => lineAfter(c.lines, LOST, mark) !== undefined, { timeoutMs: (RENEW_S + 5) * 1000, intervalMs: 50 }).catch(() => {});
    if (lineAfter(c.lines, LOST, mark) !== undefined) {
      lostAfterMs = Math.round(performance.now() - pausedAt);
      leaderWhileLost = (await writeCounts(c)).leader;
      // The data plane does not depend on the API server or on holding the Lease.
      servedWhilePaused = await Promise.all(addresses.map((a) => sampleResponders(a.host, a.port, 10)));
      await sleep(1000);
    }
    say(`kube-apiserver resumed with SIGCONT after ${Math.round(performance.now() - pausedAt)} ms`);
  }
  say(`  lease lost after ${lostAfterMs ?? 'never'} ms (renew deadline ${RENEW_S} s); sluice_leader while lost: ${leaderWhileLost ?? 'n/a'}`);
  say(`  served while paused: ${servedWhilePaused.map((s, i) => `${NAMES[i]} ${[...s.byPod.values()].reduce((a, b) => a + b, 0)} ok / ${s.failed} failed`).join(', ') || 'n/a'}`);
  assert.ok(lostAfterMs !== undefined, `the controller logged "${LOST}" while the API server was stopped`);

  // It wins the Lease back, relists, and a full resync passes over every Service.
  const lost = lineAfter(c.lines, LOST, mark)!;
  await waitFor('the controller to be leader and running again', () => {
    const acquired = lineAfter(c.lines, ACQUIRED, lost);
    return acquired !== undefined && lineAfter(c.lines, RUNNING, acquired) !== undefined;
  }, { timeoutMs: 30_000, intervalMs: 50 });
  const reledAt = performance.now();
  say(`  leader again ${Math.round(reledAt - pausedAt)} ms after the pause began; waiting ${RESYNC_S * 1.2 + 3} s for a full resync`);
  // The relist's own reconciles come at once; what comes after them until past the resync
  // period (plus its 20% jitter) is the resync, the only thing that touches steady Services.
  await sleep(3000);
  const settled = await writeCounts(c);
  await sleep((RESYNC_S * 1.2 + 3) * 1000 - (performance.now() - reledAt));
  const afterCounts = await writeCounts(c);
  const served = await Promise.all(addresses.map((a) => sampleResponders(a.host, a.port, 30)));
  say(`/metrics before: ${formatCounts(before)}`);
  say(`/metrics after:  ${formatCounts(afterCounts)} (reconciles in the resync window: ${afterCounts.reconciles - settled.reconciles})`);
  for (const [i, s] of served.entries()) say(`  ${NAMES[i]} via ${addresses[i]!.host}:${addresses[i]!.port}: ${JSON.stringify(Object.fromEntries(s.byPod))}, ${s.failed} failed`);

  assert.equal(leaderWhileLost, 0, 'sluice_leader is 0 while the Lease is lost');
  assert.equal(afterCounts.leader, 1, 'sluice_leader is 1 again');
  assert.ok(afterCounts.reconciles - settled.reconciles >= NAMES.length, `the resync reconciled every Service again (${afterCounts.reconciles - settled.reconciles} reconciles)`);
  assert.equal(afterCounts.ensure - before.ensure, 0, 'no ensureLoadBalancer call for unchanged Services after regaining the Lease');
  assert.equal(afterCounts.update - before.update, 0, 'no updateLoadBalancer call for unchanged Services after regaining the Lease');
  servedWhilePaused.forEach((s, i) => {
    assert.equal(s.failed, 0, `${NAMES[i]} answered through its LB while the API server was stopped`);
  });
  served.forEach((s, i) => {
    assert.equal(s.failed, 0, `${NAMES[i]} answers through its LB`);
    assert.ok([...s.byPod.keys()].every((b) => b.startsWith(`${NAMES[i]}-`)), `${NAMES[i]}'s LB reaches only its own pods`);
    assert.equal(s.byPod.size, 2, `both ${NAMES[i]} pods answer`);
  });
  await Promise.all(workloads.map((w) => w.delete().catch(() => {})));
});
