import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { fakeCaches } from '../testing/fake-cluster.ts';
import { pod, service, slice } from '../testing/fixtures.ts';
import { serviceKeysOfPod } from './caches.ts';

test('serviceKeysOfPod: selector matches, and selector-less Services whose hand-written slices reference the pod', () => {
  const caches = fakeCaches();
  const p = pod({ name: 'a', ip: '10.0.0.1' }) as k8s.V1Pod;
  const other = pod({ name: 'b', ip: '10.0.0.2', labels: { app: 'db' } }) as k8s.V1Pod;
  caches.pods.put(p);
  caches.services.put(service() as k8s.V1Service);
  const manual = service(undefined, { name: 'manual' }) as k8s.V1Service;
  caches.services.put({ ...manual, spec: { ...manual.spec, selector: undefined } });
  const unrelated = service(undefined, { name: 'empty' }) as k8s.V1Service;
  caches.services.put({ ...unrelated, spec: { ...unrelated.spec, selector: {} } });
  caches.endpointSlices.put({ ...slice([p], undefined, 'manual-1'), metadata: { name: 'manual-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'manual' } } } as k8s.V1EndpointSlice);
  assert.deepEqual(serviceKeysOfPod(caches.services, p, caches.endpointSlices).sort(), ['default/manual', 'default/web']);
  assert.deepEqual(serviceKeysOfPod(caches.services, p), ['default/web'], 'without slices: selectors only');
  assert.deepEqual(serviceKeysOfPod(caches.services, other, caches.endpointSlices), []);
});
