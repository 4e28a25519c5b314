/**
 * The local provider as a conformance target: `@sluice/provider-local` with its engine
 * embedded, listening on a loopback address of its own (127.a.b.c, chosen at start), so the
 * fixed ports its Services get collide with no other program on the host.
 *
 * The local provider has no vendor API, so its faults are the operating system's:
 * - `unavailable`: the Service's port is held by another socket (EADDRINUSE), which the
 *   provider reports as a RetryableError (`PortInUse`: the holder may let go). The job binds
 *   that socket when the armed ensure starts and closes it when the ensure settles;
 * - `throttled` cannot happen: nothing rate-limits a local listener;
 * - `rejected` cannot be armed once: the provider's terminal listen errors (a privileged port
 *   without CAP_NET_BIND_SERVICE, a listen address the host does not have) follow from the
 *   Service's port or the provider's `address` option, the same on every call, and this job
 *   runs as whoever runs it (root binds every port).
 * The errors-classified case checks the kinds a target lists, so the cell holds the provider
 * to `unavailable`.
 *
 * The foreign resource is a listener the test opens on the provider's address, beside the
 * Service's port: deleting the Service's load balancer must leave it accepting connections.
 */
import { randomInt } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import type { Backend, LoadBalancer, ServicePortView, ServiceSpecView } from '@sluice/core';
import type { ConformanceTarget, ForeignResource } from '@sluice/core/testing';
import { createLocalProvider, type LocalLoadBalancer } from '@sluice/provider-local';
import type { HarnessLogger } from '@sluice/testbed/harness';
import { CLUSTER, type JobTarget, onLoopback, started } from './job-target.ts';

/** Service ports are handed out from here, two apart: the port above each is the foreign listener's. */
const FIRST_PORT = 21000;

/** Listens on address:port; rejects with the bind error (EADDRINUSE when the provider holds it). */
async function listenOn(address: string, port: number): Promise<Server> {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => resolve());
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when a TCP connection to address:port is accepted. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function localTarget(): JobTarget {
  let address: string | undefined;
  let provider: LocalLoadBalancer | undefined;
  let faulted: LoadBalancer | undefined;
  /** The next ensure of a Service without a load balancer finds its port held. */
  let armed = false;
  let held = 0;
  const ports = new Map<string, number>();
  const planted: Server[] = [];

  /** The fixed port of a Service's port: one per Service (by UID) and port name, for the whole run. */
  const portFor = (service: ServiceSpecView, port: ServicePortView): number => {
    const key = `${service.uid}/${port.name}`;
    let number = ports.get(key);
    if (number === undefined) {
      number = FIRST_PORT + 2 * ports.size;
      ports.set(key, number);
    }
    return number;
  };

  /**
   * The provider as the cases call it: every call goes to it unchanged. An armed fault holds the
   * Service's port for the one ensure it is armed for: the socket is bound before the call and
   * closed once it settles, so the provider meets EADDRINUSE from the kernel exactly once.
   */
  const withPortFault = (local: LocalLoadBalancer, where: string): LoadBalancer => ({
    providerName: local.providerName,
    capabilities: local.capabilities,
    getLoadBalancerName: (clusterName, service) => local.getLoadBalancerName(clusterName, service),
    getLoadBalancer: (clusterName, service, signal) => local.getLoadBalancer(clusterName, service, signal),
    async ensureLoadBalancer(clusterName, service, backends, signal) {
      const port = service.ports[0]?.port;
      if (!armed || port === undefined || port === 0 || (await local.getLoadBalancer(clusterName, service, signal)).exists) {
        return local.ensureLoadBalancer(clusterName, service, backends, signal);
      }
      armed = false;
      const holder = await listenOn(where, port);
      held++;
      try {
        return await local.ensureLoadBalancer(clusterName, service, backends, signal);
      } finally {
        await closeServer(holder);
      }
    },
    updateLoadBalancer: (clusterName, service, backends, signal) => local.updateLoadBalancer(clusterName, service, backends, signal),
    ensureLoadBalancerDeleted: (clusterName, service, signal) => local.ensureLoadBalancerDeleted(clusterName, service, signal),
    getBackendHealth: (clusterName, service, signal) => local.getBackendHealth(clusterName, service, signal),
    validate: (service) => local.validate(service),
    close: () => local.close(),
  });

  const target: ConformanceTarget = {
    name: 'local (embedded engine)',
    clusterName: CLUSTER,
    drain: 'draining',
    faults: ['unavailable'],
    // Two ports of one number: the provider opens one listener per TCP port number.
    invalidService: (valid) => ({ ...valid, ports: [...valid.ports, { ...valid.ports[0]!, name: 'again' }] }),
    service: (base) => ({ ...base, ports: base.ports.map((p) => ({ ...p, port: portFor(base, p) })) }),
    backend: (base): Backend => ({ ...base, ip: onLoopback(base.ip) }),
    create() {
      const where = started(address, 'the local target');
      return {
        provider: started(faulted, 'the local provider'),
        injectFault(kind) {
          if (kind !== 'unavailable') throw new Error(`the local target cannot make its provider fail with ${kind}`);
          armed = true;
        },
        async plantForeign(_clusterName, service): Promise<ForeignResource> {
          const port = (service.ports[0]?.port ?? FIRST_PORT) + 1;
          const server = await listenOn(where, port);
          planted.push(server);
          return {
            description: `a TCP listener the test opened on ${where}:${port}, beside the Service's ${where}:${port - 1}`,
            exists: async () => server.listening && (await accepts(where, port)),
          };
        },
        async cleanup() {
          // The provider is shared by every case; only what this case planted goes.
          armed = false;
          await Promise.all(planted.splice(0).map(closeServer));
        },
      };
    },
  };

  return {
    target,
    async start(log: HarnessLogger) {
      address = `127.${randomInt(64, 250)}.${randomInt(1, 250)}.${randomInt(1, 250)}`;
      provider = createLocalProvider({ dataplane: 'embedded', address });
      faulted = withPortFault(provider, address);
      log.info(`local provider: embedded engine listening on ${address}, Service ports from ${FIRST_PORT}`);
    },
    async stop() {
      await Promise.all(planted.splice(0).map(closeServer));
      await provider?.close();
    },
    summary: () => `local: listeners on ${address ?? '-'} for ${ports.size} Service ports; the port was held by the test for ${held} ensure(s)`,
  };
}
