import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toServiceView } from '@sluice/core';
import { RecordingProvider, service } from '@sluice/core/testing';
import { ReadOnlyViolationError, readOnlyProvider } from './read-only-provider.ts';

const signal = new AbortController().signal;
const view = toServiceView(service()).view;
const backend = { servicePort: 'http', ip: '10.0.0.1', port: 8080, podUid: 'uid-a', podName: 'a', weight: 1 };

test('every write through the guard rejects, naming the method and the Service, and never reaches the provider', async () => {
  const inner = new RecordingProvider();
  await inner.ensureLoadBalancer('test', view, [backend], signal);
  inner.calls.length = 0;
  const guarded = readOnlyProvider(inner);
  const writes: [string, () => Promise<unknown>][] = [
    ['ensureLoadBalancer', () => guarded.ensureLoadBalancer('test', view, [], signal)],
    ['updateLoadBalancer', () => guarded.updateLoadBalancer('test', view, [], signal)],
    ['ensureLoadBalancerDeleted', () => guarded.ensureLoadBalancerDeleted('test', view, signal)],
  ];
  for (const [method, call] of writes) {
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof ReadOnlyViolationError);
      assert.equal(e.method, method);
      assert.equal(e.message, `sluice plan must not write to the load balancer: ${method} was called for Service default/web.`);
      return true;
    });
  }
  assert.deepEqual(inner.calls, [], 'the inner provider saw no call at all');
  assert.deepEqual(inner.backends('default/web').map((b) => b.podName), ['a'], 'the LB is untouched');
});

test('reads, names, capabilities and validate pass through unchanged', async () => {
  class Validating extends RecordingProvider {
    validate() {
      return [{ field: 'f', message: 'm' }];
    }
  }
  const inner = new Validating({ capabilities: { weights: false } });
  await inner.ensureLoadBalancer('test', view, [backend], signal);
  inner.calls.length = 0;
  const guarded = readOnlyProvider(inner);
  assert.equal(guarded.providerName, 'recording');
  assert.equal(guarded.capabilities, inner.capabilities);
  assert.equal(guarded.getLoadBalancerName('test', view), 'test-default-web');
  assert.deepEqual(await guarded.getLoadBalancer('test', view, signal), { exists: true, status: { ingress: [{ ip: '192.0.2.10' }] } });
  assert.deepEqual((await guarded.getBackendHealth('test', view, signal)).map((b) => b.ip), ['10.0.0.1']);
  assert.deepEqual(guarded.validate?.(view), [{ field: 'f', message: 'm' }]);
  assert.deepEqual(inner.calls.map((c) => c.method), ['getLoadBalancer', 'getBackendHealth']);
  assert.equal(readOnlyProvider(new RecordingProvider()).validate, undefined, 'no validate when the provider has none');
});
