/**
 * A front for the data plane's control API, for the local provider's conformance column: the
 * provider talks to this UNIX socket as it would to the engine's, every request is passed to
 * the engine's socket and its answer passed back, and a fault armed by the test answers the
 * next write (PUT, POST, DELETE) itself, once:
 * - `unavailable`: the connection is destroyed with no answer, as when the engine process
 *   dies mid-call (the provider must call it retryable and reconnect);
 * - `rejected`: 400 with the control API's InvalidSpecError body, as when the engine refuses
 *   a spec (the provider must call it terminal).
 * Reads always pass: the provider's connect (`GET /v1/ping`) and state reads are not faults.
 */
import { createServer, request, type Server } from 'node:http';

export type ControlFault = 'unavailable' | 'rejected';

export interface DataPlaneFront {
  readonly socketPath: string;
  /** The next write fails with `fault`, once. */
  arm(fault: ControlFault): void;
  /** Writes answered by an armed fault so far, by kind. */
  readonly faulted: Readonly<Record<ControlFault, number>>;
  close(): Promise<void>;
}

export async function startDataPlaneFront(socketPath: string, engineSocketPath: string): Promise<DataPlaneFront> {
  let armed: ControlFault | undefined;
  const faulted: Record<ControlFault, number> = { unavailable: 0, rejected: 0 };
  const server: Server = createServer((req, res) => {
    const fault = req.method !== 'GET' ? armed : undefined;
    if (fault !== undefined) {
      armed = undefined;
      faulted[fault]++;
      req.resume();
      if (fault === 'unavailable') {
        req.socket.destroy();
        return;
      }
      const body = JSON.stringify({ error: { name: 'InvalidSpecError', message: `The engine refused ${req.method} ${req.url} (fault armed by the conformance job).` } });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    const upstream = request({ socketPath: engineSocketPath, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    arm(fault) {
      armed = fault;
    },
    faulted,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
