import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BackendHealth, probeAllowed, type ProbeTarget } from './backend-health.ts';

describe('backend health', () => {
  let tcp: Server;
  let tcpPort: number;
  let http: ReturnType<typeof createHttpServer>;
  let httpPort: number;
  const health = new BackendHealth({ timeoutMs: 300 });
  const target = (t: Partial<ProbeTarget>): ProbeTarget => ({ ipAddress: '127.0.0.1', adminState: undefined, port: tcpPort, protocol: 'Tcp', requestPath: undefined, ...t });

  before(async () => {
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as { port: number }).port;
    http = createHttpServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 503);
      res.end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((r) => tcp.close(r));
    await new Promise((r) => http.close(r));
  });

  for (const [ip, allowed] of [
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['10.244.3.4', true],
    ['11.0.0.1', false],
    ['192.168.1.1', false],
    ['203.0.113.5', false],
    ['::1', false],
  ] as const) {
    it(`${allowed ? 'may' : 'never'} probe ${ip}`, () => assert.equal(probeAllowed(ip), allowed));
  }

  it('is Up when a TCP connect succeeds and Down when refused', async () => {
    assert.deepEqual(await health.check(target({})), { state: 'Up', reason: 'Up_Probe_Success' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    assert.deepEqual(await health.check(target({ port })), { state: 'Down', reason: 'Down_Probe_Failure' });
  });

  it('needs 200 from an HTTP probe', async () => {
    assert.equal((await health.check(target({ port: httpPort, protocol: 'Http', requestPath: '/healthz' }))).state, 'Up');
    assert.equal((await health.check(target({ port: httpPort, protocol: 'Http', requestPath: '/other' }))).state, 'Down');
  });

  it('lets adminState win over overrides, and overrides win over probes', async () => {
    health.set('127.0.0.1', 'Down');
    assert.deepEqual(await health.check(target({})), { state: 'Down', reason: 'Down_Probe_Failure' });
    assert.deepEqual(await health.check(target({ adminState: 'Up' })), { state: 'Up', reason: 'Up_Admin' });
    health.set('127.0.0.1', undefined);
    assert.deepEqual(await health.check(target({ adminState: 'Down' })), { state: 'Down', reason: 'Down_Admin' });
  });

  it('reports an address outside the allowed ranges Down without connecting', async () => {
    const started = performance.now();
    assert.deepEqual(await health.check(target({ ipAddress: '192.0.2.10' })), { state: 'Down', reason: 'Down_Probe_Failure' });
    assert.ok(performance.now() - started < 50);
  });
});
