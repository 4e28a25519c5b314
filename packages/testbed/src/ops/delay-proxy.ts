/**
 * A loopback HTTP proxy between the controller and an AWS endpoint (moto) that forwards
 * every call, but holds calls of chosen actions (`Action=RegisterTargets` in the query-protocol
 * body) for a while first: a reconcile that is in flight for as long as a test needs.
 *
 * It records every call in arrival order with what became of it: answered (with the status),
 * or abandoned (the client closed the connection while the call was held, so it was never
 * forwarded). A held call whose client went away is dropped, not sent late.
 */
import { Agent, type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  /** Arrival order, from 1. */
  readonly seq: number;
  /** `Action` of a query-protocol body, else the `X-Amz-Target` operation, else ''. */
  readonly action: string;
  /** The form parameters of the body (empty for other bodies). */
  readonly params: URLSearchParams;
  /** performance.now() at arrival. */
  readonly receivedAt: number;
  /** How long the call was held before it was forwarded (0: not held). */
  readonly heldMs: number;
  /** The upstream status once the answer went back to the client. */
  status?: number;
  /** performance.now() once the answer was sent back, or the call was abandoned. */
  settledAt?: number;
  /** The client closed the connection before the call was forwarded; it never reached upstream. */
  abandoned: boolean;
  /** Forwarding failed (upstream unreachable). */
  error?: string;
}

export interface DelayProxy {
  /** `http://127.0.0.1:<port>`, for `--aws-endpoint`. */
  readonly endpoint: string;
  /** Every call so far, in arrival order. */
  readonly calls: readonly ProxiedCall[];
  /** Holds every later call of `action` for `ms` before forwarding it (0 stops holding). */
  hold(action: string, ms: number): void;
  close(): Promise<void>;
}

export interface DelayProxyOptions {
  /** Where calls go, e.g. moto's `http://127.0.0.1:<port>`. */
  readonly target: string;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function actionOf(req: IncomingMessage, body: Buffer): { action: string; params: URLSearchParams } {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams(body.toString('utf8'));
    return { action: params.get('Action') ?? '', params };
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  return { action: target.slice(target.lastIndexOf('.') + 1), params: new URLSearchParams() };
}

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const holds = new Map<string, number>();
  const calls: ProxiedCall[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const { action, params } = actionOf(req, body);
    const heldMs = holds.get(action) ?? 0;
    const call: ProxiedCall = { seq: calls.length + 1, action, params, receivedAt: performance.now(), heldMs, abandoned: false };
    calls.push(call);
    // 'close' before the answer is written means the client gave up (an aborted SDK call).
    let clientGone = false;
    let wake: () => void = () => {};
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      wake();
    });
    if (heldMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, heldMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (clientGone) {
      call.abandoned = true;
      call.settledAt = performance.now();
      return;
    }
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('end', () => {
        call.status = answer.statusCode;
        call.settledAt = performance.now();
      });
    });
    upstream.once('error', (error) => {
      call.error = error.message;
      call.settledAt = performance.now();
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    hold(action, ms) {
      if (ms > 0) holds.set(action, ms);
      else holds.delete(action);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
