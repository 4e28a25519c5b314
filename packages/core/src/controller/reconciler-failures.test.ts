import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReconcilerSuite } from '../test-support/reconciler-world.ts';
import { pod } from '../testing/fixtures.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';

describe('Reconciler: what the provider refuses or fails to answer stays with its backend', () => {
  const t = new ReconcilerSuite();

  test('a backend the provider refuses is reported on its pod; the others register and a drain lands in the same reconcile', async () => {
    t.provider = new RecordingProvider({ rejectIps: ['10.0.0.66'] });
    t.reconciler = t.makeReconciler({ rejectedRetryMs: 30_000 });
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.converge();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' }), pod({ name: 'x', ip: '10.0.0.66' })]);
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1', 'c@10.0.0.3:8080=1'], 'drained and registered in the one reconcile; x refused');
    assert.deepEqual(r, { kind: 'requeue', afterMs: 0 });
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual([t.gateOf('x')?.status, t.gateOf('x')?.reason], ['False', 'LBRegistrationFailed']);
    assert.match(t.gateOf('x')?.message ?? '', /10\.0\.0\.66:8080/);
    assert.deepEqual(t.cluster.events.filter((e) => e.reason === 'BackendRejected').map((e) => e.object), ['Pod/x']);
    t.provider.setHealth(t.key, 'healthy');
    t.clock.advance(1_000); // the next health read is due
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(t.gateOf('c')?.status, 'True');
    const attempts = () => t.provider.calls.filter((c) => c.backends?.some((b) => b.ip === '10.0.0.66')).length;
    const before = attempts();
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(attempts(), before, 'not offered again within the retry period');
    t.clock.advance(30_001);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(attempts(), before + 1, 'offered again after it');
  });

  test('a backend refused while the LB is created is taken out: the LB and the other pods go ahead, the refused pod is told', async () => {
    t.provider = new RecordingProvider({ rejectIps: ['10.0.0.66'] });
    t.reconciler = t.makeReconciler({});
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'x', ip: '10.0.0.66' })]);
    const first = await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(first, { kind: 'requeue', afterMs: 0 });
    assert.ok(t.provider.exists(t.key), 'the LB was created');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=1']);
    assert.ok((t.caches.services.get('web', 'default')?.status?.loadBalancer?.ingress ?? []).length > 0, 'the Service got its address');
    await t.converge();
    assert.equal(t.gateOf('a')?.status, 'True');
    assert.deepEqual([t.gateOf('x')?.status, t.gateOf('x')?.reason], ['False', 'LBRegistrationFailed']);
    assert.deepEqual(t.cluster.events.filter((e) => e.type === 'Warning').map((e) => `${e.reason} ${e.object}`), ['BackendRejected Pod/x']);
  });

  test('a failing provider read holds back no drain: the recorded registrations are drained, the read retried', async () => {
    const { RetryableError } = await import('../errors.ts');
    t.reconciler = t.makeReconciler({});
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    await t.converge();
    t.clock.advance(61_000); // the settled read has run out: this reconcile must read health
    t.provider.failNextReads.push(new RetryableError('Rate exceeded'), new RetryableError('Rate exceeded'));
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' }), pod({ name: 'd', ip: '10.0.0.4' })]);
    const r = await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(r.kind, 'retry');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1', 'c@10.0.0.3:8080=1'], 'a drained; d waits for a read');
    // Still failing on the retry: a pod that started terminating meanwhile is drained too.
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2', state: 'terminating' }), pod({ name: 'c', ip: '10.0.0.3' }), pod({ name: 'd', ip: '10.0.0.4' })]);
    assert.equal((await t.reconciler.reconcile(t.key, t.signal)).kind, 'retry');
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=0', 'c@10.0.0.3:8080=1']);
    assert.match(t.cluster.events.find((e) => e.reason === 'SyncLoadBalancerFailed')?.message ?? '', /Rate exceeded/, 'the failed read is still reported');
    // Reads answer again: the rest of the plan follows.
    await t.converge();
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=0', 'c@10.0.0.3:8080=1', 'd@10.0.0.4:8080=1']);
    assert.equal(t.gateOf('d')?.status, 'True');
  });

  test('with no record of the LB yet (a fresh process), a failing read writes nothing', async () => {
    const { RetryableError } = await import('../errors.ts');
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    await t.converge();
    t.reconciler = t.makeReconciler({});
    t.setPods([pod({ name: 'a', ip: '10.0.0.1', state: 'terminating' }), pod({ name: 'b', ip: '10.0.0.2' })]);
    const writes = t.provider.writes.length;
    t.provider.failNextReads.push(new RetryableError('Rate exceeded'));
    assert.equal((await t.reconciler.reconcile(t.key, t.signal)).kind, 'retry');
    assert.equal(t.provider.writes.length, writes);
    await t.reconciler.reconcile(t.key, t.signal);
    assert.deepEqual(t.held(), ['a@10.0.0.1:8080=0', 'b@10.0.0.2:8080=1'], 'drained once a read answers');
  });

  test('a terminal error on a batch of registrations is pinned on the backend at fault, one at a time', async () => {
    t.reconciler = t.makeReconciler({});
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' })]);
    await t.converge();
    t.setPods([pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' }), pod({ name: 'c', ip: '10.0.0.3' })]);
    const { TerminalError } = await import('../errors.ts');
    t.provider.failNextWrites.push(new TerminalError('quota exceeded'), new TerminalError('address in use elsewhere'));
    await t.reconciler.reconcile(t.key, t.signal);
    assert.equal(t.held().length, 2, 'one of b and c registered, the other refused');
  });

  test('every scenario above held its writes against its plan', () => {
    assert.ok(t.planChecks >= 10, `plan checks: ${t.planChecks}`);
  });
});
