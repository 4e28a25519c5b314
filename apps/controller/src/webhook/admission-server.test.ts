import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '@sluice/core';
import { AdmissionServer, MUTATE_POD_PATH } from './admission-server.ts';
import { createCertificateAuthority, issueServingCertificate } from './certificates.ts';
import { mutate } from './mutate.ts';

const GATE = 'sluice.dev/load-balancer-ready';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ca = createCertificateAuthority({ now: Date.now() });
const serving = issueServingCertificate(ca, { now: Date.now(), dnsNames: ['sluice-webhook.sluice.svc'], ipAddresses: ['127.0.0.1'] });
const services: k8s.V1Service[] = [{ metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'LoadBalancer', selector: { app: 'web' } } }];
const MAX = 64 * 1024;

let server: AdmissionServer;
let port: number;
const errors: string[] = [];

before(async () => {
  server = new AdmissionServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: serving.certPem, key: serving.keyPem },
    log: { ...quiet, error: (m) => errors.push(m) },
    maxBodyBytes: MAX,
    requestTimeoutMs: 300,
    // Longer than any test here: only setTls can close an idle connection in time.
    keepAliveTimeoutMs: 600_000,
    handle: (body) => {
      if ((body as { boom?: boolean }).boom) throw new Error('boom');
      return mutate(body, { servicesIn: (ns) => services.filter((s) => s.metadata?.namespace === ns) }, { gateConditionType: GATE, handleUnclassed: true }).review;
    },
  });
  port = await server.start();
});
after(() => server.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerFingerprint: string;
  socket: TLSSocket;
}

function call(options: { agent?: https.Agent; method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean; stall?: boolean; ca?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? `${MUTATE_POD_PATH}?timeout=5s`,
        ca: options.ca ?? ca.certPem,
        agent: options.agent ?? false,
        headers: {
          'content-type': 'application/json',
          ...(options.chunked || options.stall ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        const socket = res.socket as TLSSocket;
        const peerFingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, peerFingerprint, socket }));
      },
    );
    req.on('error', reject);
    if (options.stall) {
      req.write('{"apiVersion":'); // and never finish
      return;
    }
    req.end(body);
  });
}

function review(object: unknown, operation = 'CREATE'): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-7', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation, namespace: 'shop', object },
  });
}

const pod = (labels: Record<string, string>) => ({ metadata: { generateName: 'web-', labels }, spec: { containers: [{ name: 'c', image: 'x' }] } });

test('server: start resolves with the port it bound (port 0 picks one)', () => {
  assert.ok(port > 0);
});

test('server: a selected pod gets the gate patch, over TLS the authority verifies', async () => {
  const r = await call({ body: review(pod({ app: 'web' })), headers: { 'content-type': 'application/json; charset=utf-8' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.peerFingerprint, serving.certificate.fingerprint256);
  const out = JSON.parse(r.body);
  assert.equal(out.response.uid, 'u-7');
  assert.equal(out.response.allowed, true);
  assert.equal(out.response.patchType, 'JSONPatch');
  assert.deepEqual(JSON.parse(Buffer.from(out.response.patch, 'base64').toString()), [{ op: 'add', path: '/spec/readinessGates', value: [{ conditionType: GATE }] }]);
});

test('server: a pod no Service selects, and an UPDATE, are allowed without a patch', async () => {
  for (const body of [review(pod({ app: 'db' })), review(pod({ app: 'web' }), 'UPDATE')]) {
    const r = await call({ body });
    assert.equal(r.status, 200);
    const out = JSON.parse(r.body);
    assert.deepEqual(out.response, { uid: 'u-7', allowed: true });
  }
});

test('server: refusals name what is wrong', async () => {
  const table: { name: string; options: Parameters<typeof call>[0]; status: number; match: RegExp }[] = [
    { name: 'bad JSON', options: { body: '{"apiVersion":' }, status: 400, match: /not valid JSON/ },
    { name: 'not a review', options: { body: '{"kind":"Pod"}' }, status: 400, match: /AdmissionReview/ },
    { name: 'other path', options: { path: '/validate', body: '{}' }, status: 404, match: /\/validate not found/ },
    { name: 'GET', options: { method: 'GET', path: MUTATE_POD_PATH }, status: 405, match: /GET is not allowed/ },
    { name: 'content type', options: { body: review(pod({})), headers: { 'content-type': 'text/plain' } }, status: 415, match: /text\/plain.*application\/json/ },
    { name: 'declared too large', options: { body: Buffer.alloc(MAX + 1, 0x20) }, status: 413, match: /exceeds 65536 bytes/ },
    { name: 'streamed too large', options: { body: Buffer.alloc(MAX + 1, 0x20), chunked: true }, status: 413, match: /exceeds 65536 bytes/ },
    { name: 'handler failure', options: { body: '{"boom":true}' }, status: 500, match: /failure policy/ },
  ];
  for (const c of table) {
    const r = await call(c.options);
    assert.equal(r.status, c.status, c.name);
    assert.match(r.body, c.match, c.name);
  }
  assert.equal((await call({ method: 'GET', path: MUTATE_POD_PATH })).headers['allow'], 'POST');
  assert.deepEqual(errors, ['webhook failed to answer an admission review']);
});

test('server: a request whose body never completes is answered 408 by the request timeout', async () => {
  const r = await call({ stall: true });
  assert.equal(r.status, 408);
});

test('server: a client that does not trust the authority is refused by TLS', async () => {
  const stranger = createCertificateAuthority({ now: Date.now() });
  await assert.rejects(call({ body: review(pod({ app: 'web' })), ca: stranger.certPem }), /certificate/i);
});

test('server: setTls serves the new certificate and closes keep-alive connections made under the old one', { timeout: 5_000 }, async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = await call({ body: review(pod({ app: 'web' })), agent });
    assert.equal(before.status, 200);
    const next = issueServingCertificate(ca, { now: Date.now(), dnsNames: ['x.sluice.svc'], ipAddresses: ['127.0.0.1'] });
    const closed = once(before.socket, 'close');
    server.setTls({ cert: next.certPem, key: next.keyPem });
    await closed; // the idle keep-alive connection is closed by the server
    const r = await call({ body: review(pod({ app: 'web' })), agent });
    assert.equal(r.status, 200);
    assert.notEqual(r.socket, before.socket);
    assert.equal(r.peerFingerprint, next.certificate.fingerprint256);
  } finally {
    agent.destroy();
  }
});

test('server: a second server on a bound port fails with one sentence; close frees the port', async () => {
  const second = new AdmissionServer({ host: '127.0.0.1', port, tls: { cert: serving.certPem, key: serving.keyPem }, log: quiet, handle: () => ({}) });
  await assert.rejects(second.start(), { name: 'TerminalError', message: `webhook address 127.0.0.1:${port} cannot be bound: EADDRINUSE.` });
  const third = new AdmissionServer({ host: '127.0.0.1', port: 0, tls: { cert: serving.certPem, key: serving.keyPem }, log: quiet, handle: () => ({}) });
  const thirdPort = await third.start();
  await third.close();
  await third.close(); // idempotent
  const again = new AdmissionServer({ host: '127.0.0.1', port: thirdPort, tls: { cert: serving.certPem, key: serving.keyPem }, log: quiet, handle: () => ({}) });
  assert.equal(await again.start(), thirdPort);
  await again.close();
});
