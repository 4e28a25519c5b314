import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '@sluice/core';
import { listenIpAddresses, startWebhook } from './start-webhook.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test('listenIpAddresses: a specific IP is a SAN, localhost means loopback, wildcards and names add none', () => {
  const table: [string, string[]][] = [
    ['127.0.0.1', ['127.0.0.1']],
    ['::1', ['::1']],
    ['10.1.2.3', ['10.1.2.3']],
    ['localhost', ['127.0.0.1', '::1']],
    ['0.0.0.0', []],
    ['::', []],
    ['sluice-webhook.sluice.svc', []],
  ];
  for (const [host, ips] of table) assert.deepEqual(listenIpAddresses(host), ips, host);
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const deadPort = await closedPort();

function unreachableKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${deadPort}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const base = {
  address: { host: '127.0.0.1', port: 0 },
  dnsNames: ['sluice-webhook.sluice.svc'],
  kubeConfig: unreachableKubeConfig(),
  gateConditionType: 'sluice.dev/load-balancer-ready',
  log: quiet,
};

test('startWebhook: a certificate file without a key file is refused in one sentence', async () => {
  await assert.rejects(startWebhook({ ...base, certFile: '/nonexistent/tls.crt', signal: new AbortController().signal }), {
    name: 'TerminalError',
    message: 'webhook certFile and keyFile go together: give both, or neither for a generated certificate.',
  });
});

test('startWebhook: an unreadable certificate file is refused before the cluster is contacted', async () => {
  await assert.rejects(startWebhook({ ...base, certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key', signal: new AbortController().signal }), {
    name: 'TerminalError',
    message: /^webhook certificate file "\/nonexistent\/tls.crt" cannot be read/,
  });
});

test('startWebhook: an API server it cannot list Services from makes start fail', async () => {
  await assert.rejects(startWebhook({ ...base, signal: new AbortController().signal }), {
    name: 'RetryableError',
    message: `the webhook cannot list Services from the API server at https://127.0.0.1:${deadPort}: fetch failed (ECONNREFUSED).`,
  });
});

test('startWebhook: an aborted signal refuses to start', async () => {
  const abort = new AbortController();
  abort.abort(new Error('shutting down'));
  await assert.rejects(startWebhook({ ...base, signal: abort.signal }), /shutting down/);
});
