/**
 * The transport faults on real loopback sockets: a drop resets the client's connection, a
 * timeout holds the request until the client's own timeout fires, latency waits (through the
 * injected sleeper) before the normal answer.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { enactTransportFault, isRequestAbandoned } from './fault-transport.ts';
import type { FaultDecision } from './faults.ts';
import { realSleep, type Sleep } from './time.ts';

describe('transport faults', () => {
  let server: Server;
  let port: number;
  let next: FaultDecision = { delayMs: 0, fault: undefined };
  const outcomes: string[] = [];
  const slept: number[] = [];
  const sleep: Sleep = (ms, signal) => {
    slept.push(ms);
    return Number.isFinite(ms) && ms < 1_000 ? Promise.resolve() : realSleep(ms, signal);
  };

  before(async () => {
    server = createServer((req, res) => {
      enactTransportFault(next, req.socket, sleep).then(
        () => {
          outcomes.push('answered');
          res.end('ok');
        },
        (e: unknown) => outcomes.push(isRequestAbandoned(e) ? e.kind : `error ${String(e)}`),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** GET / with an optional client timeout; resolves with the body or the client's error code. */
  const get = (timeoutMs?: number) =>
    new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, ...(timeoutMs ? { timeout: timeoutMs } : {}) }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });

  /** Resolves once the server recorded `n` outcomes. */
  const settled = async (n: number) => {
    while (outcomes.length < n) await new Promise((r) => setImmediate(r));
  };

  it('answers after the injected delay', async () => {
    next = { delayMs: 250, fault: undefined };
    assert.equal(await get(), 'ok');
    assert.deepEqual(slept, [250]);
    await settled(1);
    assert.equal(outcomes.at(-1), 'answered');
  });

  it('drops the connection', async () => {
    next = { delayMs: 0, fault: { kind: 'drop' } };
    assert.equal(await get(), 'ECONNRESET');
    await settled(2);
    assert.equal(outcomes.at(-1), 'drop');
  });

  it('holds the request past the client timeout and never answers it', async () => {
    next = { delayMs: 0, fault: { kind: 'timeout', holdMs: Number.POSITIVE_INFINITY } };
    assert.equal(await get(200), 'CLIENT_TIMEOUT');
    await settled(3);
    assert.equal(outcomes.at(-1), 'timeout');
  });

  it('drops a held request when the hold ends first', async () => {
    next = { delayMs: 0, fault: { kind: 'timeout', holdMs: 5 } };
    assert.equal(await get(), 'ECONNRESET');
    await settled(4);
    assert.equal(outcomes.at(-1), 'timeout');
  });
});
