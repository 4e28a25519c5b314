/**
 * A tiny HTTPS server on 127.0.0.1 in front of a {@link FakeArm}: JSON in, JSON out, with
 * the self-signed certificate of tls.ts (or plain http, to test the loopback-only http path). The SDK client under test points at it with
 * `endpoint`, so requests cross real TLS sockets through the SDK's real pipeline (bearer
 * policy, retry policy, LRO poller, serialisers).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ArmReply, ArmRequest } from './fake-arm.ts';
import { testCertificate } from './tls.ts';

export interface ArmServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startArmServer(handle: (request: ArmRequest) => ArmReply | Promise<ArmReply>, options: { http?: boolean } = {}): Promise<ArmServer> {
  const scheme = options.http ? 'http' : 'https';
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let reply: ArmReply;
      try {
        reply = await handle({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, text, origin: `${scheme}://${req.headers.host}` });
      } catch (error) {
        reply = { status: 500, body: { error: { code: 'InternalServerError', message: String(error) } } };
      }
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...(body !== '' ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...reply.headers });
      res.end(body);
    })();
  };
  const server = options.http ? createHttpServer(listener) : createHttpsServer({ cert: testCertificate().cert, key: testCertificate().key }, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
