/**
 * A tiny HTTP server on 127.0.0.1 that answers the AWS Query protocol the way ELBv2 and
 * EC2 do: form-encoded `Action=...` requests in, XML out. The SDK client under test points
 * at it with `endpoint`, so requests cross real sockets through the SDK's real
 * serialisers, signers, retry strategy and parsers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueryCall {
  /** The signing name from the Authorization header: `elasticloadbalancing` or `ec2`. */
  readonly service: string;
  readonly action: string;
  readonly params: URLSearchParams;
}

export interface QueryReply {
  readonly status?: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface QueryServer {
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly calls: QueryCall[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startQueryServer(handle: (call: QueryCall) => QueryReply | Promise<QueryReply>): Promise<QueryServer> {
  const calls: QueryCall[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const params = new URLSearchParams(await readBody(req));
      const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
      const call: QueryCall = { service: scope?.[1] ?? 'unknown', action: params.get('Action') ?? '', params };
      calls.push(call);
      let reply: QueryReply;
      try {
        reply = await handle(call);
      } catch (error) {
        reply = { status: 500, body: `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>${String(error)}</Message></Error></ErrorResponse>` };
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/xml', ...reply.headers });
      res.end(reply.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
