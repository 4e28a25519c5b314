/**
 * Where the provider's data plane comes from, by mode (see `LocalProviderOptions.dataplane`):
 * an engine in this process, one the caller passed in, or the `sluice-dataplane` process on
 * the control socket, connected to (and started when nothing answers) on first use.
 *
 * Contract of the process mode:
 * - Nothing happens before the first call (STYLE habit 5). Reads never start an engine:
 *   with none running, a load balancer simply does not exist.
 * - The first write connects; when nothing answers, it creates the socket's directory
 *   (mode 0700) and starts `sluice-dataplane` detached, in its own process group, so that
 *   it outlives this process; then connects. Concurrent first calls share one attempt, and
 *   when another process started an engine on the socket at the same moment (ours then
 *   exits, refusing the socket), the call connects to that one.
 * - `lost()` forgets a connection whose engine stopped answering: the next call connects
 *   again, and a write starts a new engine if none answers.
 * - `close()` disconnects; the engine keeps serving.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage, type Logger } from '@sluice/core';
import { ControlApiError, connectDataPlane, createEngine, type DataPlane, type DataPlaneClient, type DataPlaneEngine, startDataPlaneProcess, type Timers } from '@sluice/dataplane';

export interface DataPlaneSource {
  /** Where the engine is, for messages: `the embedded engine` or the socket path. */
  readonly where: string;
  /** The plane for a call that may change state; starts the engine when the mode does that. */
  forWrite(): Promise<DataPlane>;
  /** The plane for a read, or undefined when no engine runs. */
  forRead(): Promise<DataPlane | undefined>;
  /** The engine stopped answering: forget the connection. */
  lost(): void;
  /** Releases this provider's hold: closes an embedded engine, disconnects from a process. */
  close(): Promise<void>;
}

export function embeddedSource(options: { readonly log: Logger; readonly timers: Timers | undefined }): DataPlaneSource {
  const engine: DataPlaneEngine = createEngine({ log: options.log, ...(options.timers === undefined ? {} : { timers: options.timers }) });
  return {
    where: 'the embedded engine',
    forWrite: async () => engine,
    forRead: async () => engine,
    lost() {},
    close: () => engine.close(),
  };
}

export function givenSource(plane: DataPlane): DataPlaneSource {
  return { where: 'the given data plane', forWrite: async () => plane, forRead: async () => plane, lost() {}, close: async () => {} };
}

export function processSource(socketPath: string, log: Logger): DataPlaneSource {
  let client: DataPlaneClient | undefined;
  /** Connection attempts run one after another, so concurrent first calls share the result. */
  let attempts: Promise<unknown> = Promise.resolve();

  const connect = async (): Promise<DataPlaneClient> => {
    const connected = await connectDataPlane(socketPath);
    log.info('connected to the data plane', { socket: socketPath });
    return connected;
  };

  const connectOrStart = async (): Promise<DataPlaneClient> => {
    try {
      return await connect();
    } catch {
      // Nothing answers: start one below.
    }
    const directory = dirname(socketPath);
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new ControlApiError(`its directory ${directory} cannot be created (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`, { cause: error });
    }
    const logFile = join(directory, 'dataplane.log');
    try {
      const started = await startDataPlaneProcess({ socketPath, detached: true, logFile });
      log.info('started the data plane', { socket: socketPath, pid: started.pid, logFile });
    } catch (error) {
      // Another process may have started one on this socket first; ours then refused it.
      log.debug('could not start the data plane; connecting to whichever serves the socket', { socket: socketPath, error: errorMessage(error) });
    }
    return connect();
  };

  const obtain = (start: boolean): Promise<DataPlaneClient | undefined> => {
    if (client !== undefined) return Promise.resolve(client);
    const attempt = attempts.then(async () => {
      client ??= start ? await connectOrStart() : await connect().catch(() => undefined);
      return client;
    });
    attempts = attempt.catch(() => {});
    return attempt;
  };

  return {
    where: socketPath,
    async forWrite() {
      const connected = await obtain(true);
      // connectOrStart resolves with a client or rejects; never undefined.
      return connected!;
    },
    forRead: () => obtain(false),
    lost() {
      client?.disconnect();
      client = undefined;
    },
    async close() {
      await attempts;
      client?.disconnect();
      client = undefined;
    },
  };
}
