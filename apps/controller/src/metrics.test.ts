import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHttpEndpoint } from './http-server.ts';
import { createMetrics } from './metrics.ts';

const pod = { kind: 'Pod' as const, namespace: 'default', name: 'web-1', uid: 'u1' };

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('createMetrics', () => {
  test('records reconciles, queue, provider calls, backends, gate, drain and leadership', async () => {
    let depth = 3;
    const m = createMetrics({ provider: 'local', queueDepth: () => depth, processMetrics: false });
    m.observer.reconciled?.('done', 12);
    m.observer.reconciled?.('retry', 40);
    m.observer.dequeued?.(5);
    m.observer.gatePassed?.(pod, 250);
    m.observer.drainApplied?.(pod, 3);
    m.observer.drainMissed?.('default/web', 'uid-x');
    m.onProviderCall('updateLoadBalancer', 'ok', 8, 'default/web');
    m.onProviderCall('updateLoadBalancer', 'fenced', 0, 'default/web');
    m.onProviderCall('getBackendHealth', 'ok', 3, 'default/web');
    m.onProviderCall('getBackendHealth', 'retryable', 3, 'default/web');
    m.onProviderCall('getLoadBalancer', 'ok', 3, 'default/api');
    m.onBackends('default/web', { initial: 1, healthy: 2, unhealthy: 0, draining: 1, unused: 0 });
    m.onBackends('default/api', { initial: 0, healthy: 3, unhealthy: 0, draining: 0, unused: 0 });
    m.setLeader(true);
    depth = 7;
    const { contentType, body } = await m.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(body, 'sluice_reconcile_total', 'result="done"'), 1);
    assert.equal(sample(body, 'sluice_reconcile_total', 'result="retry"'), 1);
    assert.equal(sample(body, 'sluice_workqueue_depth'), 7);
    assert.equal(sample(body, 'sluice_workqueue_wait_seconds_count'), 1);
    assert.equal(sample(body, 'sluice_provider_calls_total', 'outcome="fenced"'), 1);
    assert.equal(sample(body, 'sluice_provider_call_duration_seconds_count', 'operation="updateLoadBalancer"'), 1, 'fenced calls have no latency sample');
    assert.equal(sample(body, 'sluice_backends', 'state="healthy"'), 5, 'summed over Services');
    assert.equal(sample(body, 'sluice_service_provider_calls_total', 'namespace="default",service="web",kind="read"'), 2, 'per Service, reads');
    assert.equal(sample(body, 'sluice_service_provider_calls_total', 'namespace="default",service="web",kind="write"'), 1, 'a fenced write never reached the cloud');
    assert.equal(sample(body, 'sluice_service_provider_calls_total', 'namespace="default",service="api",kind="read"'), 1);
    assert.equal(sample(body, 'sluice_backends', 'state="draining"'), 1);
    assert.equal(sample(body, 'sluice_readiness_gate_wait_seconds_count'), 1);
    assert.equal(sample(body, 'sluice_readiness_gate_wait_seconds_bucket', 'le="0.25"'), 1);
    assert.equal(sample(body, 'sluice_readiness_gate_wait_seconds_bucket', 'le="0.1"'), 0);
    assert.equal(sample(body, 'sluice_drain_latency_seconds_bucket', 'le="0.005"'), 1);
    assert.equal(sample(body, 'sluice_leader'), 1);
    assert.match(body, /^sluice_drains_missed_total(\{[^}]*\})? 1$/m);
    m.onBackends('default/web', undefined);
    assert.equal(sample((await m.render()).body, 'sluice_backends', 'state="healthy"'), 3, 'a deleted Service no longer counts');
    m.observer.backendsWritten?.('default/api', [
      { servicePort: 'http', ip: '10.0.0.9', port: 8080, weight: 1, health: 'initial' },
      { servicePort: 'http', ip: '10.0.0.8', port: 8080, weight: 0, health: 'draining' },
    ]);
    const written = (await m.render()).body;
    assert.deepEqual(
      ['healthy', 'initial', 'draining'].map((state) => sample(written, 'sluice_backends', `state="${state}"`)),
      [0, 1, 1],
      'our own writes replace what the last read said for that Service',
    );
  });

  test('two instances do not share state (no global registry)', async () => {
    const a = createMetrics({ provider: 'local', queueDepth: () => 0, processMetrics: false });
    const b = createMetrics({ provider: 'local', queueDepth: () => 0, processMetrics: false });
    a.observer.reconciled?.('done', 1);
    assert.equal(sample((await b.render()).body, 'sluice_reconcile_total', 'result="done"'), undefined);
  });
});

describe('startHttpEndpoint', () => {
  test('serves metrics and probes over a real socket; readyz follows the state', async () => {
    let ready = false;
    const e = await startHttpEndpoint('metrics-bind-address', { host: '127.0.0.1', port: 0 }, {
      metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'x 1\n' }),
      probes: { ready: () => ({ ready, reason: ready ? 'leader, caches synced' : 'caches not synced yet' }) },
    });
    try {
      const get = async (path: string, method = 'GET') => {
        const r = await fetch(`http://127.0.0.1:${e.port}${path}`, { method });
        return { status: r.status, body: await r.text() };
      };
      assert.deepEqual(await get('/metrics'), { status: 200, body: 'x 1\n' });
      assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok\n' });
      assert.deepEqual(await get('/readyz'), { status: 503, body: 'caches not synced yet\n' });
      ready = true;
      assert.deepEqual(await get('/readyz'), { status: 200, body: 'leader, caches synced\n' });
      assert.equal((await get('/nope')).status, 404);
      assert.equal((await get('/metrics', 'POST')).status, 405);
    } finally {
      await e.close();
    }
  });

  test('an address in use is one sentence naming the flag', async () => {
    const a = await startHttpEndpoint('metrics-bind-address', { host: '127.0.0.1', port: 0 }, {});
    try {
      await assert.rejects(
        startHttpEndpoint('health-probe-bind-address', { host: '127.0.0.1', port: a.port }, {}),
        new RegExp(`^ListenError: --health-probe-bind-address 127\\.0\\.0\\.1:${a.port} cannot be used: EADDRINUSE\\.$`),
      );
    } finally {
      await a.close();
    }
  });
});
