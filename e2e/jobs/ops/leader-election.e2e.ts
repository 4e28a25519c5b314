/**
 * Two controllers against one API server, leader election on the Lease `default/sluice`.
 * Only the holder writes; SIGKILL of the holder hands the Lease to the standby within the
 * lease duration (plus two standby polls) and the standby then follows the pods;
 * SIGTERM of the holder releases the Lease, so a standby takes over at once.
 *
 * Every replica programs the same data plane (one `sluice-dataplane` socket, as replicas
 * sharing one engine would): the load balancer the first leader made keeps serving through
 * both handovers, and each new leader adopts it.
 *
 * Writes are read from each replica's own /metrics (sluice_provider_calls_total), polled
 * while both run: the standby's write count must stay 0 until the leader is dead.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/leader');
const LEASE_S = 6;
const RENEW_S = 4;
const RETRY_S = 1;
const ELECTION = [
  `--leader-election-lease-duration=${LEASE_S}`,
  `--leader-election-renew-deadline=${RENEW_S}`,
  `--leader-election-retry-period=${RETRY_S}`,
  '--health-poll-ms=100',
  '--local-health-interval-ms=200',
];
let env: Environment;
const replicas: ControllerProcess[] = [];
/** The engine the first replica starts; the others are pointed at its socket. */
let engine: ControllerProcess['dataplane'];

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  for (const r of replicas) await r.stop();
  await engine?.stop();
  await env?.stop();
});

function replica(identity: string): ControllerProcess {
  const shared = engine ? ['--local-dataplane-socket', engine.socketPath] : [];
  const r = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: [...ELECTION, `--leader-election-identity=${identity}`, ...shared] });
  engine ??= r.dataplane;
  replicas.push(r);
  return r;
}

/** Sum of sluice_provider_calls_total for write operations (outcome ok or fenced), from /metrics. */
async function writes(r: ControllerProcess): Promise<{ ok: number; fenced: number; leader: number }> {
  const { body } = await r.get('/metrics');
  let ok = 0;
  let fenced = 0;
  for (const line of body.split('\n')) {
    const m = /^sluice_provider_calls_total\{[^}]*operation="(ensureLoadBalancer|updateLoadBalancer|ensureLoadBalancerDeleted)"[^}]*outcome="(\w+)"[^}]*\} (\d+)/.exec(line);
    if (m?.[2] === 'ok') ok += Number(m[3]);
    if (m?.[2] === 'fenced') fenced += Number(m[3]);
  }
  const leader = Number(/^sluice_leader\{[^}]*\} (\d+)/m.exec(body)?.[1] ?? Number.NaN);
  return { ok, fenced, leader };
}

async function holder(): Promise<{ holder: string; transitions: number }> {
  const lease = await env.kubeConfig.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ namespace: 'default', name: 'sluice' });
  return { holder: lease.spec?.holderIdentity ?? '', transitions: lease.spec?.leaseTransitions ?? 0 };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body.trim()));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

test('one writer at a time: SIGKILL hands over within the lease duration, SIGTERM releases at once', { timeout: 240_000 }, async () => {
  const a = replica('replica-a');
  await a.ready();
  assert.deepEqual(await holder(), { holder: 'replica-a', transitions: 0 });
  const b = replica('replica-b');
  await until('replica-b standing by', 20_000, async () => (b.lines.some((l) => l.msg === 'leader election: standing by' && l['holder'] === 'replica-a') ? true : undefined));
  assert.equal((await a.get('/readyz')).status, 200, 'the leader is ready (caches synced)');
  assert.equal((await b.get('/readyz')).status, 200, 'the standby is ready (campaigning)');
  assert.match((await b.get('/readyz')).body, /standby, leader is replica-a/);

  const [port] = await freeLoopbackPorts(1);
  const w = new Workload(env.kubeConfig, { namespace: 'leader', name: 'web', replicas: 2, servicePort: port!, sigterm: 'close' });
  await w.create();
  await w.waitForRollout(2);
  const { host } = await w.waitForAddress();
  assert.match(await get(host, port!), /^web-/);

  // While both run, only the holder writes; the standby never even tries (nothing fenced).
  const wa = await writes(a);
  const wb = await writes(b);
  assert.ok(wa.ok > 0, `the leader wrote (${wa.ok})`);
  assert.deepEqual(wb, { ok: 0, fenced: 0, leader: 0 }, 'the standby made no write');
  assert.equal(wa.leader, 1);

  // SIGKILL the holder: the Lease is not released; replica-b must wait for it to expire.
  const killedAt = Date.now();
  await a.kill();
  assert.match(await get(host, port!), /^web-/, 'the load balancer serves on while no replica leads (its engine outlives replica-a)');
  const acquired = await until('replica-b acquiring the lease', (LEASE_S + 10) * 1000, async () => b.lines.find((l) => l.msg === 'leader election: acquired the lease'));
  const takeoverMs = Date.parse(String(acquired['time'] ?? acquired['ts'])) - killedAt;
  log.info(`takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_S} s, retry ${RETRY_S} s)`);
  // The bound: the lease duration after the standby last saw a renew, plus its two polls
  // (each at most 1.2 retry periods), plus 0.5 s for process and API latency.
  assert.ok(takeoverMs <= (LEASE_S + 2 * 1.2 * RETRY_S + 0.5) * 1000, `replica-b took over within the lease duration plus two polls (${takeoverMs} ms)`);
  assert.deepEqual(await holder(), { holder: 'replica-b', transitions: 1 });
  await b.ready();

  // The new leader follows the pods: a scale-up reaches its load balancer.
  await w.scale(3);
  await w.waitForRollout(3);
  const seen = new Set<string>();
  const deadline = performance.now() + 30_000;
  while (seen.size < 3 && performance.now() < deadline) seen.add(await get(host, port!).catch(() => ''));
  seen.delete('');
  assert.equal(seen.size, 3, `three pods answer through replica-b's load balancer (saw ${[...seen].join(', ')})`);
  assert.ok((await writes(b)).ok > 0, 'replica-b writes now');

  // SIGTERM the holder: it releases the Lease and a fresh standby takes over without waiting it out.
  const c = replica('replica-c');
  await until('replica-c standing by', 20_000, async () => (c.lines.some((l) => l.msg === 'leader election: standing by' && l['holder'] === 'replica-b') ? true : undefined));
  const termAt = Date.now();
  assert.equal(await b.stop(20_000), 0, 'replica-b exits 0 on SIGTERM');
  assert.ok(b.lines.some((l) => l.msg === 'leader election: released the lease'), 'replica-b released the lease');
  const cAcquired = await until('replica-c acquiring the lease', 20_000, async () => c.lines.find((l) => l.msg === 'leader election: acquired the lease'));
  const handoverMs = Date.parse(String(cAcquired['time'] ?? cAcquired['ts'])) - termAt;
  log.info(`handover after SIGTERM: ${handoverMs} ms`);
  assert.ok(handoverMs < LEASE_S * 1000, `replica-c took over before the lease would have expired (${handoverMs} ms)`);
  assert.deepEqual(await holder(), { holder: 'replica-c', transitions: 2 });
  await c.ready();
  assert.equal((await writes(c)).fenced, 0);
  await w.delete();
});
