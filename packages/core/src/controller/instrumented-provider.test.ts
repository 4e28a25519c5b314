import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RetryableError, TerminalError } from '../errors.ts';
import { toServiceView } from '../model/service-view.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { service } from '../testing/fixtures.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';
import type { KubeClusterWriter } from './cluster.ts';
import { fenceWriter } from './fenced-writer.ts';
import { type CallOutcome, instrumentProvider, NotLeaderError } from './instrumented-provider.ts';

const view = toServiceView(service()).view;
const backend = { servicePort: 'http', ip: '10.0.0.1', port: 8080, podUid: 'p1', podName: 'web-1', weight: 1 };

describe('instrumentProvider', () => {
  test('measures every call and counts backends by health state', async () => {
    const clock = new FakeClock(0);
    const calls: [string, CallOutcome, number][] = [];
    const backends = new Map<string, unknown>();
    const inner = new RecordingProvider({ initialHealth: 'healthy' });
    const p = instrumentProvider(inner, {
      clock,
      onCall: (op, outcome, ms) => calls.push([op, outcome, ms]),
      onBackends: (svc, counts) => backends.set(svc, counts),
    });
    const signal = new AbortController().signal;
    await p.ensureLoadBalancer('c', view, [backend], signal);
    await p.getBackendHealth('c', view, signal);
    assert.deepEqual(backends.get('default/web'), { initial: 0, healthy: 1, unhealthy: 0, draining: 0, unused: 0 });
    inner.failNextWrites.push(new TerminalError('no'));
    await assert.rejects(p.updateLoadBalancer('c', view, [], signal), /no/);
    inner.failNextWrites.push(new RetryableError('slow down', { reason: 'AwsThrottled' }), new RetryableError('503'));
    await assert.rejects(p.updateLoadBalancer('c', view, [], signal), /slow down/);
    await assert.rejects(p.updateLoadBalancer('c', view, [], signal), /503/);
    await p.ensureLoadBalancerDeleted('c', view, signal);
    assert.equal(backends.get('default/web'), undefined);
    assert.deepEqual(
      calls.map(([op, outcome]) => `${op}:${outcome}`),
      ['ensureLoadBalancer:ok', 'getBackendHealth:ok', 'updateLoadBalancer:terminal', 'updateLoadBalancer:throttled', 'updateLoadBalancer:retryable', 'ensureLoadBalancerDeleted:ok'],
    );
  });

  test('a fenced replica makes no write call but may still read', async () => {
    let leader = false;
    const inner = new RecordingProvider();
    const p = instrumentProvider(inner, { canWrite: () => leader });
    const signal = new AbortController().signal;
    await assert.rejects(p.ensureLoadBalancer('c', view, [backend], signal), NotLeaderError);
    await assert.rejects(p.updateLoadBalancer('c', view, [backend], signal), NotLeaderError);
    await assert.rejects(p.ensureLoadBalancerDeleted('c', view, signal), NotLeaderError);
    await p.getLoadBalancer('c', view, signal);
    assert.deepEqual(
      inner.calls.map((c) => c.method),
      ['getLoadBalancer'],
    );
    leader = true;
    await p.ensureLoadBalancer('c', view, [backend], signal);
    assert.equal(inner.calls.at(-1)?.method, 'ensureLoadBalancer');
  });
});

describe('fenceWriter', () => {
  test('refuses every write without calling the API while not the leader', async () => {
    let sent = 0;
    const inner = new Proxy({} as KubeClusterWriter, {
      get: () => async () => {
        sent++;
      },
    });
    let leader = false;
    const w = fenceWriter(inner, () => leader);
    const s = new AbortController().signal;
    await assert.rejects(w.patchPodStatus('ns', 'p', {}, s), /patch pods\/status ns\/p refused: this replica does not hold the leader lease/);
    await assert.rejects(w.patchServiceIngress('ns', 's', [], s), NotLeaderError);
    await assert.rejects(w.setServiceFinalizers('ns', 's', [], '1', s), NotLeaderError);
    await assert.rejects(w.createEvent({ metadata: {}, involvedObject: {} }, s), NotLeaderError);
    await assert.rejects(w.patchEvent('ns', 'e', 2, new Date(), s), NotLeaderError);
    assert.equal(sent, 0);
    leader = true;
    await w.patchPodStatus('ns', 'p', {}, s);
    assert.equal(sent, 1);
  });
});
