/**
 * Child-process entry: Sluice's embedded load balancer (@sluice/provider-local) on its own
 * event loop, so its CPU is separate from the bench and from the backends. Defaults as the
 * controller uses them (health checks every 1 s, 2 to become healthy).
 *
 * IPC protocol (parent -> child):
 * - `{ type: 'start', backends: [{ id, port }] }`: ensures one Service with port `http`
 *   over those backends (weight 1 each), waits until all are `healthy`, then answers
 *   `{ type: 'ready', port }` with the listener's port.
 * - `{ type: 'weights', weights: { [id]: weight } }`: updateLoadBalancer with the new
 *   weights (0 drains in place), then answers `{ type: 'done' }`.
 * Any failure is answered with `{ type: 'error', message }`. Exits on SIGTERM or when the
 * parent goes away.
 */
import type { Backend, ServiceSpecView } from '@sluice/core';
import { createLocalProvider } from '@sluice/provider-local';

interface BackendRef {
  readonly id: string;
  readonly port: number;
}

type Command =
  | { readonly type: 'start'; readonly backends: readonly BackendRef[] }
  | { readonly type: 'weights'; readonly weights: Readonly<Record<string, number>> };

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write('embedded-lb-server: run me with fork() so I have an IPC channel.\n');
  process.exit(2);
}

const cluster = 'bench';
const signal = new AbortController().signal;
const service: ServiceSpecView = {
  namespace: 'bench',
  name: 'dataplane',
  uid: 'uid-dataplane',
  // Port 0: the listener takes an ephemeral port.
  ports: [{ name: 'http', port: 0, protocol: 'TCP', targetPort: 8080 }],
  annotations: {},
};
const lb = createLocalProvider();
let registered: readonly BackendRef[] = [];

function backends(weights: Readonly<Record<string, number>>): Backend[] {
  return registered.map((b) => ({
    servicePort: 'http',
    ip: '127.0.0.1',
    port: b.port,
    podUid: `pod-${b.id}`,
    podName: `backend-${b.id}`,
    weight: weights[b.id] ?? 1,
  }));
}

async function waitHealthy(timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const health = await lb.getBackendHealth(cluster, service, signal);
    if (health.length === registered.length && health.every((h) => h.health === 'healthy')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`backends not healthy after ${timeoutMs} ms`);
}

async function handle(command: Command): Promise<unknown> {
  if (command.type === 'start') {
    registered = command.backends;
    await lb.ensureLoadBalancer(cluster, service, backends({}), signal);
    await waitHealthy(10_000);
    const address = lb.listenerAddress(service, 'http');
    if (address === undefined) throw new Error('the load balancer has no listener for port http');
    return { type: 'ready', port: address.port };
  }
  await lb.updateLoadBalancer(cluster, service, backends(command.weights), signal);
  return { type: 'done' };
}

process.on('message', (command: Command) => {
  handle(command).then(
    (reply) => send(reply),
    (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});

const stop = (): void => {
  void lb.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
