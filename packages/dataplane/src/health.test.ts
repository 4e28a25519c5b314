import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createEngine } from './engine.ts';
import { fixture, waitForState } from './test-support/fixtures.ts';
import { ManualTimers } from './testing/manual-timers.ts';
import { freePort, startBackend, startHttpBackend, waitFor, whoAnswers } from './testing/sockets.ts';

const live = await startBackend('live');
after(() => live.close());

async function checks(engine: { stats(): Promise<{ targets: readonly { port: number; healthChecksOk: number; healthChecksFailed: number }[] }> }, port: number) {
  const t = (await engine.stats()).targets.find((s) => s.port === port);
  return { ok: t?.healthChecksOk ?? 0, failed: t?.healthChecksFailed ?? 0 };
}

test('thresholds: healthyThreshold successes make a target healthy, unhealthyThreshold failures unhealthy, intervals scaled', async (t) => {
  const timers = new ManualTimers();
  const backend = await startBackend('b');
  const { engine } = await fixture({ timers, timeScale: 0.01, healthCheck: { intervalMs: 10_000, timeoutMs: 5_000, healthyThreshold: 3, unhealthyThreshold: 2 } });
  t.after(() => engine.close());
  t.after(() => backend.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: backend.port }]);

  // The first check runs at registration; each next one 10 s x 0.01 = 100 ms after the previous.
  for (let n = 1; n <= 3; n++) {
    await waitFor(`check ${n}`, async () => ((await checks(engine, backend.port)).ok === n && timers.pending(100) === 1 ? true : undefined));
    const [health] = await engine.targetHealth('tg');
    if (n < 3) assert.deepEqual([health?.state, health?.reason], ['initial', 'InitialHealthChecking'], `after ${n} successes`);
    else assert.deepEqual([health?.state, health?.reason], ['healthy', undefined]);
    if (n < 3) timers.fire(100);
  }
  assert.ok(timers.requested.includes(50), 'the 5 s timeout runs as 50 ms');

  await backend.close();
  timers.fire(100);
  await waitFor('failure 1', async () => ((await checks(engine, backend.port)).failed === 1 && timers.pending(100) === 1 ? true : undefined));
  assert.equal((await engine.targetHealth('tg'))[0]?.state, 'healthy', 'one failure is below the unhealthy threshold');
  timers.fire(100);
  await waitFor('failure 2', async () => ((await checks(engine, backend.port)).failed === 2 ? true : undefined));
  const [health] = await engine.targetHealth('tg');
  assert.deepEqual([health?.state, health?.reason, health?.description], ['unhealthy', 'FailedHealthChecks', 'ECONNREFUSED']);
});

test('a changed time scale applies to the next timer scheduled', async (t) => {
  const timers = new ManualTimers();
  const { engine } = await fixture({ timers, timeScale: 0.01 });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: live.port }]);
  await waitFor('first interval', () => (timers.pending(100) === 1 ? true : undefined));
  await engine.setTimeScale(0.5);
  timers.fire(100);
  await waitFor('next interval at the new scale', () => (timers.pending(5000) === 1 ? true : undefined));
  assert.equal((await engine.state()).timeScale, 0.5);
});

test('registration latency: a new target is initial, unchecked and not routed to until the delay has passed', async (t) => {
  const timers = new ManualTimers();
  const backend = await startBackend('late');
  const { engine, address } = await fixture({ timers, timeScale: 0.01, group: { registrationDelayMs: 30_000 } });
  t.after(() => engine.close());
  t.after(() => backend.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: backend.port }]);
  const [health] = await engine.targetHealth('tg');
  assert.deepEqual([health?.state, health?.reason], ['initial', 'RegistrationInProgress']);
  assert.equal(timers.pending(300), 1, 'the 30 s delay runs as 300 ms');
  assert.equal(await whoAnswers(address), undefined, 'not routed to during registration');
  assert.equal(backend.accepted, 0, 'not checked during registration');
  timers.fire(300);
  await waitForState(engine, backend.port, 'healthy');
  assert.equal(await whoAnswers(address), 'late');
});

test('HTTP checks: the path is requested and the status must be in the matcher', async (t) => {
  const http = await startHttpBackend();
  t.after(() => http.close());
  const { engine } = await fixture({ healthCheck: { protocol: 'http', path: '/healthz', matcher: '200-299' } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: http.port }]);
  await waitForState(engine, http.port, 'healthy');
  assert.equal(http.requests[0], '/healthz');
  http.status = 302;
  await waitForState(engine, http.port, 'unhealthy');
  assert.equal((await engine.targetHealth('tg'))[0]?.description, 'HTTP status 302 is not in 200-299');
  await engine.putHealthCheck('tg', { protocol: 'http', path: '/healthz', matcher: '200-399', intervalMs: 10_000, healthyThreshold: 1, unhealthyThreshold: 1 });
  await waitForState(engine, http.port, 'healthy');
});

test('the check port can differ from the traffic port', async (t) => {
  const http = await startHttpBackend();
  t.after(() => http.close());
  const { engine, address } = await fixture({ healthCheck: { protocol: 'http', port: http.port } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: live.port }]);
  await waitForState(engine, live.port, 'healthy');
  assert.equal(await whoAnswers(address), 'live');
  http.status = 500;
  await waitForState(engine, live.port, 'unhealthy');
  assert.equal(await whoAnswers(address), undefined, 'fail-closed: an unhealthy target gets no traffic');
});

test('a health check the firewall denies times out, and the target turns unhealthy; removing the rule heals it', async (t) => {
  const { engine } = await fixture({ healthCheck: { source: { tags: ['probe'] } } });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: live.port }]);
  await waitForState(engine, live.port, 'healthy');
  await engine.putFirewallRule({ name: 'deny-probes', priority: 100, direction: 'to-target', action: 'deny', source: { tags: ['probe'] } });
  await waitForState(engine, live.port, 'unhealthy');
  assert.equal((await engine.targetHealth('tg'))[0]?.description, 'no answer within 5000 ms (dropped by firewall rule deny-probes)');
  await engine.deleteFirewallRule('deny-probes');
  await waitForState(engine, live.port, 'healthy');
});

test('checks come from the stated source address, which the firewall judges', async (t) => {
  const six = await startBackend('six', '::1');
  t.after(() => six.close());
  const engine = createEngine({ timeScale: 0.01 });
  t.after(() => engine.close());
  await engine.putFirewallRule({ name: 'deny-v4-probes', priority: 1, direction: 'to-target', action: 'deny', source: { cidrs: ['127.0.0.1/32'] }, ports: [live.port] });
  for (const [group, address, target] of [
    ['v6', '::1', six],
    ['v4', '127.0.0.1', live],
    ['unset', undefined, live],
  ] as const) {
    await engine.putTargetGroup({ name: group });
    await engine.putHealthCheck(group, { intervalMs: 10_000, healthyThreshold: 1, unhealthyThreshold: 1, ...(address === undefined ? {} : { source: { address } }) });
    await engine.registerTargets(group, [{ ip: target.host, port: target.port }]);
  }
  await waitFor('the v6 probe', () => six.peers[0]);
  assert.equal(six.peers[0], '::1', 'the probe socket is bound to the source address');
  const settled = async (group: string) =>
    waitFor(`${group} judged`, async () => {
      const s = (await engine.stats()).targets.find((x) => x.targetGroup === group);
      return s !== undefined && s.healthChecksOk + s.healthChecksFailed > 0 ? s : undefined;
    });
  assert.equal((await settled('v4')).healthChecksFailed > 0, true, 'a probe from 127.0.0.1 is denied');
  assert.equal((await settled('unset')).healthChecksOk > 0, true, 'a probe without a source address matches no CIDR rule');
});

test('without a health check targets are healthy; adminState up is healthy whatever the checks say; an unlistened group is unused', async (t) => {
  const dead = await freePort();
  const { engine, address } = await fixture({ healthCheck: null });
  t.after(() => engine.close());
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: live.port }]);
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => [h.state, h.reason]), [['healthy', 'NoHealthCheck']]);
  assert.equal(await whoAnswers(address), 'live');

  await engine.putHealthCheck('tg', { port: dead, intervalMs: 10_000, healthyThreshold: 1, unhealthyThreshold: 1 });
  await waitForState(engine, live.port, 'unhealthy');
  await engine.registerTargets('tg', [{ ip: '127.0.0.1', port: live.port, adminState: 'up' }]);
  assert.deepEqual((await engine.targetHealth('tg')).map((h) => [h.state, h.reason]), [['healthy', 'AdminStateUp']]);
  assert.equal(await whoAnswers(address), 'live', 'adminState up takes new flows although the probe fails');

  await engine.putTargetGroup({ name: 'spare' });
  await engine.registerTargets('spare', [{ ip: '127.0.0.1', port: live.port }]);
  assert.deepEqual((await engine.targetHealth('spare')).map((h) => [h.state, h.reason]), [['unused', 'NotInUse']]);
});
