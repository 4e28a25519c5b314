import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { shareApiConnections } from './shared-connections.ts';

/** An API server stand-in on loopback that answers namespace lists and counts TCP connections. */
async function apiServer(): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ kind: 'NamespaceList', apiVersion: 'v1', metadata: {}, items: [] }));
    void req;
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

function kubeConfig(server: string, certData = 'Y2VydA=='): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'sluice-test-token', certData }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function listTimes(kc: k8s.KubeConfig, n: number): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (let i = 0; i < n; i++) await core.listNamespace();
}

test('without sharing, client-node opens a connection per request (what this fixes)', async (t) => {
  const api = await apiServer();
  t.after(() => api.server.close());
  await listTimes(kubeConfig(api.url), 10);
  assert.equal(api.connections(), 10);
});

test('shared: sequential requests reuse one connection, from clients made before and after', async (t) => {
  const api = await apiServer();
  t.after(() => api.server.close());
  const kc = kubeConfig(api.url);
  const before = kc.makeApiClient(k8s.CoreV1Api);
  assert.equal(shareApiConnections(kc), kc);
  shareApiConnections(kc);
  for (let i = 0; i < 10; i++) await before.listNamespace();
  await listTimes(kc, 10);
  // undici hands a connection back to its pool a moment after the response, so back-to-back
  // requests alternate between two; never one per request.
  assert.ok(api.connections() <= 2, `${api.connections()} connections for 20 requests`);
});

test('shared: bursts of concurrent requests reuse the connections of earlier bursts', async (t) => {
  const api = await apiServer();
  t.after(() => api.server.close());
  const kc = shareApiConnections(kubeConfig(api.url));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (let burst = 0; burst < 8; burst++) await Promise.all(Array.from({ length: 4 }, () => core.listNamespace()));
  assert.ok(api.connections() <= 8, `${api.connections()} connections for 8 bursts of 4 concurrent requests`);
});

test('shared: new TLS material (a rotated client certificate) gets a new connection', async (t) => {
  const api = await apiServer();
  t.after(() => api.server.close());
  const kc = shareApiConnections(kubeConfig(api.url));
  await listTimes(kc, 6);
  const before = api.connections();
  assert.ok(before <= 2);
  await listTimes(kc, 6);
  assert.equal(api.connections(), before, 'same material: no new connection');
  // Rotate: the same user with another certificate.
  const user = kc.getCurrentUser()!;
  Object.assign(user, { certData: Buffer.from('rotated').toString('base64') });
  await listTimes(kc, 1);
  assert.equal(api.connections(), before + 1);
});
