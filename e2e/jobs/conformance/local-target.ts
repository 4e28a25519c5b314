/**
 * The local provider as a conformance target, as it runs by default: `@sluice/provider-local`
 * programming a `sluice-dataplane` process over its control API, the engine listening on a
 * loopback address of its own (127.a.b.c, chosen at start), so the fixed ports its Services
 * get collide with no other program on the host.
 *
 * The engine is the local provider's vendor, so its faults are the control API's: the
 * provider talks to the engine through a front (dataplane-front.ts) that can fail the next
 * write once, `unavailable` (the connection dies unanswered) or `rejected` (the engine
 * refuses the spec). `throttled` cannot happen: nothing rate-limits the control API.
 *
 * The foreign resource is a listener the test opens on the provider's address, beside the
 * Service's port: deleting the Service's load balancer must leave it accepting connections.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import type { ConformanceTarget, ForeignResource } from '@sluice/core/testing';
import { type DataPlaneProcess, startDataPlaneProcess } from '@sluice/dataplane';
import { createLocalProvider, type LocalLoadBalancer } from '@sluice/provider-local';
import type { HarnessLogger } from '@sluice/testbed/harness';
import { type DataPlaneFront, startDataPlaneFront } from './dataplane-front.ts';
import { CLUSTER, type JobTarget, onLoopback, started } from './job-target.ts';

/** Service ports are handed out from here, two apart: the port above each is the foreign listener's. */
const FIRST_PORT = 21000;

/** Listens on address:port; rejects with the bind error. */
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
  let engine: DataPlaneProcess | undefined;
  let front: DataPlaneFront | undefined;
  let dir: string | undefined;
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

  const target: ConformanceTarget = {
    name: 'local (engine process)',
    clusterName: CLUSTER,
    drain: 'draining',
    faults: ['unavailable', 'rejected'],
    // Two ports of one number: the provider opens one listener per TCP port number.
    invalidService: (valid) => ({ ...valid, ports: [...valid.ports, { ...valid.ports[0]!, name: 'again' }] }),
    service: (base) => ({ ...base, ports: base.ports.map((p) => ({ ...p, port: portFor(base, p) })) }),
    backend: (base): Backend => ({ ...base, ip: onLoopback(base.ip) }),
    create() {
      const where = started(address, 'the local target');
      return {
        provider: started(provider, 'the local provider'),
        injectFault(kind) {
          if (kind === 'throttled') throw new Error('the local target cannot make its provider fail with throttled: nothing rate-limits the control API');
          started(front, 'the data plane front').arm(kind);
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
          await Promise.all(planted.splice(0).map(closeServer));
        },
      };
    },
  };

  return {
    target,
    async start(log: HarnessLogger) {
      address = `127.${randomInt(64, 250)}.${randomInt(1, 250)}.${randomInt(1, 250)}`;
      dir = mkdtempSync(join(tmpdir(), 'sluice-conformance-'));
      engine = await startDataPlaneProcess({ socketPath: join(dir, 'engine.sock') });
      front = await startDataPlaneFront(join(dir, 'front.sock'), engine.socketPath);
      provider = createLocalProvider({ dataplane: 'process', dataplaneSocket: front.socketPath, address });
      log.info(`local provider: engine process (pid ${engine.pid}) listening on ${address}, Service ports from ${FIRST_PORT}`);
    },
    async stop() {
      await Promise.all(planted.splice(0).map(closeServer));
      await provider?.close();
      await front?.close();
      await engine?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    summary: () =>
      `local: listeners on ${address ?? '-'} for ${ports.size} Service ports; control API writes failed by the front: ${front?.faulted.unavailable ?? 0} unavailable, ${front?.faulted.rejected ?? 0} rejected`,
  };
}
