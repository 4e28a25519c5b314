/**
 * Child-process entry: the @sluice/dataplane engine created in process (`createEngine`), as
 * the embedded load balancer runs inside the controller, on its own event loop so its CPU
 * and memory are separate from the bench's and the backends'. Programmed by
 * engine-config.ts, the same as the out-of-process engine.
 *
 * IPC protocol (parent -> child):
 * - `{ type: 'start', backends: [{ id, port }] }`: programs the engine, waits until every
 *   backend is healthy, then answers `{ type: 'ready', port }` with the listener's port.
 * - `{ type: 'weights', weights: { [id]: weight } }`: sets the weights (0 drains in place),
 *   then answers `{ type: 'done' }`.
 * Any failure is answered with `{ type: 'error', message }`. Exits on SIGTERM or when the
 * parent goes away.
 */
import { createEngine } from '@sluice/dataplane';
import type { BackendRef } from './backends.ts';
import { programEngine, setWeights } from './engine-config.ts';

type Command =
  | { readonly type: 'start'; readonly backends: readonly BackendRef[] }
  | { readonly type: 'weights'; readonly weights: Readonly<Record<string, number>> };

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write('engine-child: run me with fork() so I have an IPC channel.\n');
  process.exit(2);
}

const engine = createEngine();
let registered: readonly BackendRef[] = [];

async function handle(command: Command): Promise<unknown> {
  if (command.type === 'start') {
    registered = command.backends;
    return { type: 'ready', port: await programEngine(engine, registered) };
  }
  await setWeights(engine, registered, command.weights);
  return { type: 'done' };
}

process.on('message', (command: Command) => {
  handle(command).then(
    (reply) => send(reply),
    (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

const stop = (): void => {
  void engine.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
