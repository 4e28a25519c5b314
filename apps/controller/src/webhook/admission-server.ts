/**
 * The HTTPS endpoint the API server calls: `POST /mutate-v1-pod` with an AdmissionReview,
 * answered with the review `handle` returns. Bodies are bounded, slow clients are cut off by
 * the request timeout, and the decision itself is synchronous and in memory, so every
 * well-formed call is answered at once, well within the API server's webhook timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage, type Logger, TerminalError } from '@sluice/core';
import { AdmissionReviewError } from './mutate.ts';
import type { TlsMaterial } from './tls-source.ts';

export const MUTATE_POD_PATH = '/mutate-v1-pod';

export interface AdmissionServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: TlsMaterial;
  /** Turns a parsed body into the response body; may throw {@link AdmissionReviewError} (400). */
  readonly handle: (body: unknown) => unknown;
  readonly log: Logger;
  /** Larger bodies get 413. @default 3 MiB (etcd stores at most 1.5 MiB per object) */
  readonly maxBodyBytes?: number;
  /** A request not complete by then gets 408. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. @default 5_000 (Node's) */
  readonly keepAliveTimeoutMs?: number;
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? `${body}\n` : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export class AdmissionServer {
  readonly #o: AdmissionServerOptions;
  #server: Server | undefined;
  #closed: Promise<void> | undefined;
  /** Bumped by setTls; each connection remembers the one it was accepted under. */
  #tlsGeneration = 0;
  readonly #connectionGeneration = new WeakMap<object, number>();

  constructor(options: AdmissionServerOptions) {
    this.#o = options;
  }

  /** Listens; resolves with the bound port. Rejects with a {@link TerminalError} when the address cannot be bound. */
  async start(): Promise<number> {
    if (this.#server) throw new Error('the webhook server is already started.');
    const timeout = this.#o.requestTimeoutMs ?? 10_000;
    const server = createServer(
      {
        cert: this.#o.tls.cert,
        key: this.#o.tls.key,
        minVersion: 'TLSv1.2',
        requestTimeout: timeout,
        keepAliveTimeout: this.#o.keepAliveTimeoutMs ?? 5_000,
        headersTimeout: timeout,
        // How often the timeouts above are enforced (Node's default is every 30 s).
        connectionsCheckingInterval: Math.min(1000, timeout),
      },
      (req, res) => this.#onRequest(req, res),
    );
    this.#server = server;
    const { host, port } = this.#o;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.#server = undefined;
        reject(new TerminalError(`webhook address ${host}:${port} cannot be bound: ${error.code ?? error.message}.`, { cause: error, field: 'address' }));
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('secureConnection', (socket) => this.#connectionGeneration.set(socket, this.#tlsGeneration));
    server.on('tlsClientError', (error) => this.#o.log.debug('webhook TLS handshake failed', { error: error.message }));
    return (server.address() as AddressInfo).port;
  }

  /**
   * Serves new connections with this certificate. Connections made under the old one are
   * closed when idle, and a busy one after its current answer, so clients soon verify the
   * new certificate (a rotation away from a compromised key must not live on in keep-alives).
   */
  setTls(material: TlsMaterial): void {
    if (!this.#server) return;
    this.#server.setSecureContext({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2' });
    this.#tlsGeneration += 1;
    this.#server.closeIdleConnections();
  }

  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void> {
    const server = this.#server;
    if (!server) return Promise.resolve();
    this.#closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return this.#closed;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if ((this.#connectionGeneration.get(req.socket) ?? this.#tlsGeneration) < this.#tlsGeneration) res.setHeader('connection', 'close');
    const refusal = this.#refusal(req);
    if (refusal) {
      req.resume();
      reply(res, refusal.status, refusal.message, refusal.headers);
      return;
    }
    const max = this.#o.maxBodyBytes ?? 3 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('error', () => {}); // an aborted upload: nothing to answer
    // Answered after the whole upload is read, so the client sees the status, not a reset.
    req.on('end', () => {
      if (size > max) reply(res, 413, `the body exceeds ${max} bytes.`, { connection: 'close' });
      else this.#answer(Buffer.concat(chunks), res);
    });
  }

  /** Why a request is refused before its body is read, if it is. */
  #refusal(req: IncomingMessage): { status: number; message: string; headers?: Record<string, string> } | undefined {
    const path = new URL(req.url ?? '/', 'https://webhook.invalid').pathname;
    if (path !== MUTATE_POD_PATH) return { status: 404, message: `${path} not found: the webhook serves POST ${MUTATE_POD_PATH}.` };
    if (req.method !== 'POST') return { status: 405, message: `${req.method} is not allowed: ${MUTATE_POD_PATH} takes POST.`, headers: { allow: 'POST' } };
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      return { status: 415, message: `content-type "${req.headers['content-type'] ?? ''}" is not supported: allowed is application/json.` };
    }
    const max = this.#o.maxBodyBytes ?? 3 * 1024 * 1024;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) return { status: 413, message: `the body exceeds ${max} bytes.`, headers: { connection: 'close' } };
    return undefined;
  }

  #answer(raw: Buffer, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      reply(res, 400, `the body is not valid JSON: ${errorMessage(error)}.`);
      return;
    }
    let answer: unknown;
    try {
      answer = this.#o.handle(body);
    } catch (error) {
      if (error instanceof AdmissionReviewError) {
        reply(res, 400, error.message);
        return;
      }
      this.#o.log.error('webhook failed to answer an admission review', { error: errorMessage(error) });
      reply(res, 500, 'the webhook failed to answer; the API server applies the failure policy.');
      return;
    }
    reply(res, 200, answer);
  }
}
