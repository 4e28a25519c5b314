/**
 * A minimal HTTP/1.1 client over one raw TCP socket, so the drain test knows for certain
 * that a second request travels on the same connection as the first (no agent pooling).
 * Understands only what the backends send: a status line, headers with Content-Length,
 * and that many body bytes.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export type Answer =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly reason: string };

export class KeepAliveConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended: string | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#ended ??= error.code ?? error.message;
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#ended ??= 'closed';
      this.#wake?.();
    });
  }

  static async open(port: number): Promise<KeepAliveConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new KeepAliveConnection(socket);
  }

  /** Sends `GET /` and waits for one whole response, a close, an error or `timeoutMs`. */
  async request(timeoutMs = 2_000): Promise<Answer> {
    if (this.#ended !== undefined) return { ok: false, reason: this.#ended };
    this.#buffer = Buffer.alloc(0);
    this.#socket.write('GET / HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.#buffer);
      if (parsed !== undefined) return parsed;
      if (this.#ended !== undefined) return { ok: false, reason: this.#ended };
      const left = deadline - performance.now();
      if (left <= 0) return { ok: false, reason: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** One complete response in `buffer`, or undefined while more bytes are needed. */
function parseResponse(buffer: Buffer): Answer | undefined {
  const headerEnd = buffer.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const head = buffer.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const status = Number(head[0]?.split(' ')[1]);
  const lengthLine = head.find((h) => h.toLowerCase().startsWith('content-length:'));
  const length = lengthLine === undefined ? 0 : Number(lengthLine.slice(lengthLine.indexOf(':') + 1).trim());
  const bodyStart = headerEnd + 4;
  if (buffer.length < bodyStart + length) return undefined;
  return { ok: true, status, body: buffer.subarray(bodyStart, bodyStart + length).toString('utf8').trim() };
}
