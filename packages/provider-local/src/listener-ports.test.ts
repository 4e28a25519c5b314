/**
 * Listener ports through real sockets: a Service port is bound exactly or not at all, and
 * an ensure that cannot bind every port changes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRetryableError, type ServicePortView, type ServiceSpecView } from '@sluice/core';
import { freePort, LineClient, startBackend, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider, type LocalLoadBalancer } from './index.ts';
import { backend, cluster, service, signal } from './test-support/fixtures.ts';

const live = await startBackend('live');
const other = await startBackend('other');
after(() => Promise.all([live.close(), other.close()]));

const tcp = (name: string, port: number): ServicePortView => ({ name, port, protocol: 'TCP', targetPort: 8080 });

function provider(t: { after(fn: () => Promise<void>): void }): LocalLoadBalancer {
  const lb = createLocalProvider({ dataplane: 'embedded', intervalMs: 60_000 });
  t.after(() => lb.close());
  return lb;
}

/**
 * Whether nothing listens on 127.0.0.1:`port` (the connect is refused). A listener without
 * backends accepts and then resets, which is not a refusal.
 */
async function refused(port: number): Promise<boolean> {
  const socket = connect({ host: '127.0.0.1', port });
  try {
    await once(socket, 'connect');
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  } finally {
    socket.destroy();
  }
}

/** Holds a port with a plain server until the test ends. */
async function holdPort(t: { after(fn: () => Promise<void>): void }): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** A snapshot of everything the provider reports for a Service. */
async function observe(lb: LocalLoadBalancer, svc: ServiceSpecView) {
  const lookup = await lb.getLoadBalancer(cluster, svc, signal);
  const backends = (await lb.getBackendHealth(cluster, svc, signal)).map(({ servicePort, port, podUid, weight }) => ({ servicePort, port, podUid, weight }));
  const listeners = Object.fromEntries(await Promise.all(svc.ports.map(async (p) => [p.name, (await lb.listenerAddress(svc, p.name))?.port])));
  return { lookup, backends, listeners };
}

describe('an ensure that cannot bind a port changes nothing', () => {
  interface Case {
    readonly name: string;
    /** The held port is taken by another Service of the same provider instead of a plain server. */
    readonly heldByService?: boolean;
    /** Ports of the Service before the failing ensure (none: the Service is new). */
    readonly before?: (free: number) => ServicePortView[];
    /** Ports of the failing ensure. */
    readonly after: (free: number, held: number) => ServicePortView[];
    readonly failingIndex: number;
    readonly failingName: string;
  }
  const cases: Case[] = [
    { name: 'a new Service whose second port is held by a program', after: (free, held) => [tcp('http', free), tcp('admin', held)], failingIndex: 1, failingName: 'admin' },
    {
      name: 'a new Service whose port is held by another Service of this provider',
      heldByService: true,
      after: (free, held) => [tcp('http', free), tcp('admin', held)],
      failingIndex: 1,
      failingName: 'admin',
    },
    {
      name: 'an existing Service adding a held port',
      before: (free) => [tcp('http', free)],
      after: (free, held) => [tcp('http', free), tcp('admin', held)],
      failingIndex: 1,
      failingName: 'admin',
    },
    {
      name: 'an existing Service moving its port onto a held one',
      before: (free) => [tcp('http', free)],
      after: (_free, held) => [tcp('http', held)],
      failingIndex: 0,
      failingName: 'http',
    },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const lb = provider(t);
      const free = await freePort();
      let held: number;
      if (c.heldByService) {
        held = await freePort();
        await lb.ensureLoadBalancer(cluster, service({ name: 'holder', uid: 'uid-holder', ports: [tcp('http', held)] }), [backend(other.port, 'holder-pod')], signal);
      } else {
        held = await holdPort(t);
      }
      const svc = (ports: ServicePortView[]): ServiceSpecView => service({ ports });
      const first = c.before?.(free);
      if (first) await lb.ensureLoadBalancer(cluster, svc(first), [backend(live.port, 'pod-1')], signal);
      const target = svc(c.after(free, held));
      const seen = await observe(lb, target);

      const error = await lb
        .ensureLoadBalancer(cluster, target, [backend(live.port, 'pod-1'), backend(live.port, 'pod-1', 1, 'admin')], signal)
        .then(
          () => assert.fail('ensure should reject'),
          (e: unknown) => e,
        );
      assert.ok(isRetryableError(error), String(error));
      assert.equal(error.reason, 'PortInUse');
      assert.equal(error.field, `spec.ports[${c.failingIndex}].port`);
      assert.equal(
        error.message,
        `The local load balancer cannot listen on 127.0.0.1:${held} for Service default/web port ${c.failingName}: the port is in use by another listener (another Service or program); choose a free port.`,
      );

      assert.deepEqual(await observe(lb, target), seen, 'status, listeners and backends are as before');
      if (first) {
        assert.equal(seen.lookup.exists, true);
        assert.equal(await whoAnswers({ address: '127.0.0.1', port: free }), 'live', 'the previous listener still serves');
      } else {
        assert.deepEqual(seen.lookup, { exists: false });
        assert.ok(await refused(free), 'the listener opened in the failed call was closed');
      }
      if (c.heldByService) assert.equal(await whoAnswers({ address: '127.0.0.1', port: held }), 'other', 'the other Service keeps its port');
    });
  }
});

describe('listeners follow the Service ports by number', () => {
  interface Case {
    readonly name: string;
    readonly before: (p: readonly number[]) => ServicePortView[];
    readonly after: (p: readonly number[]) => ServicePortView[];
    /** The port each Service port name listens on afterwards, by index into the free ports. */
    readonly expect: Record<string, number>;
    /** Free ports (by index) that must no longer accept. */
    readonly closed: readonly number[];
  }
  const cases: Case[] = [
    { name: 'a renamed port keeps its listener', before: (p) => [tcp('http', p[0]!)], after: (p) => [tcp('web', p[0]!)], expect: { web: 0 }, closed: [] },
    {
      name: 'two ports that swap numbers keep both listeners',
      before: (p) => [tcp('http', p[0]!), tcp('admin', p[1]!)],
      after: (p) => [tcp('http', p[1]!), tcp('admin', p[0]!)],
      expect: { http: 1, admin: 0 },
      closed: [],
    },
    { name: 'a renumbered port moves to its new number', before: (p) => [tcp('http', p[0]!)], after: (p) => [tcp('http', p[2]!)], expect: { http: 2 }, closed: [0] },
    {
      name: 'a dropped port closes, the other stays',
      before: (p) => [tcp('http', p[0]!), tcp('admin', p[1]!)],
      after: (p) => [tcp('admin', p[1]!)],
      expect: { admin: 1 },
      closed: [0],
    },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const lb = provider(t);
      const ports = [await freePort(), await freePort(), await freePort()];
      const before = service({ ports: c.before(ports) });
      await lb.ensureLoadBalancer(cluster, before, before.ports.map((p, i) => backend(i === 0 ? live.port : other.port, `pod-${p.name}`, 1, p.name)), signal);
      const kept = new Map(await Promise.all(before.ports.map(async (p) => [p.port, await lb.listenerAddress(before, p.name)] as const)));
      // A connection open through each listener before the ensure: a kept listener is not re-bound, so it stays open.
      const open = await Promise.all(
        before.ports.map(async (p) => {
          const client = await LineClient.connect((await lb.listenerAddress(before, p.name))!);
          assert.ok(await client.nextLine(), `a backend answers through ${p.name}`);
          return client;
        }),
      );
      t.after(() => {
        for (const client of open) client.close();
      });

      const afterSvc = service({ ports: c.after(ports) });
      // Each Service port name gets its own backend, so an answer proves which pool serves.
      const backends = afterSvc.ports.map((p, i) => backend(i === 0 ? live.port : other.port, `pod-${p.name}`, 1, p.name));
      const status = await lb.ensureLoadBalancer(cluster, afterSvc, backends, signal);

      assert.deepEqual(
        status.ingress[0]?.ports,
        afterSvc.ports.map((p) => ({ port: p.port, protocol: 'TCP' })),
      );
      for (const [name, index] of Object.entries(c.expect)) {
        const address = await lb.listenerAddress(afterSvc, name);
        assert.equal(address?.port, ports[index], `${name} listens on its Service port`);
        const previous = kept.get(ports[index]!);
        if (previous !== undefined) assert.deepEqual(address, previous, `${name} kept the listener that held ${ports[index]}`);
        const expected = afterSvc.ports.findIndex((p) => p.name === name) === 0 ? 'live' : 'other';
        assert.equal(await whoAnswers(address!), expected, `${name} serves its own backends`);
      }
      for (const index of c.closed) assert.ok(await refused(ports[index]!), `port ${ports[index]} is closed`);
      // Connections through kept listeners were not cut (no listener was re-bound); those through closed ones were.
      for (const [i, p] of before.ports.entries()) {
        const reply = await open[i]!.roundTrip('still').catch(() => undefined);
        if (c.closed.includes(ports.indexOf(p.port))) assert.equal(reply, undefined, `the connection through the closed ${p.name} (${p.port}) was closed`);
        else assert.match(reply ?? '', /^\w+:still$/, `the connection through ${p.name} (${p.port}) stays open`);
      }
    });
  }
});

test('a privileged port is a TerminalError naming the port, and nothing is left open', async (t) => {
  // Run unprivileged in a child: as root (or with CAP_NET_BIND_SERVICE) the bind would succeed.
  const child = fileURLToPath(new URL('./test-support/privileged-port-child.ts', import.meta.url));
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
    execFile(process.execPath, ['--conditions=@sluice/source', child, '1'], { ...asNobody, timeout: 20_000 }, (error, out, err) =>
      error ? reject(new Error(`child failed: ${err || error.message}`)) : resolve({ stdout: out }),
    ),
  );
  const outcome = JSON.parse(stdout) as Record<string, unknown>;
  if (outcome.bound === true) {
    t.skip('this process may bind ports below 1024 (root, CAP_NET_BIND_SERVICE or a lowered ip_unprivileged_port_start)');
    return;
  }
  assert.deepEqual(outcome, {
    name: 'TerminalError',
    reason: 'PortNotPermitted',
    field: 'spec.ports[0].port',
    message:
      'The local load balancer cannot listen on 127.0.0.1:1 for Service default/web port http: port 1 is privileged, and ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; choose a port from 1024 up or grant the controller that capability.',
    exists: false,
  });
});
