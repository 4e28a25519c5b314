/**
 * The `backendCidrs` option through the provider and real sockets: a refused backend makes
 * the whole call change nothing, and the error lists exactly the refused backends.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { type Backend, backendKey, isBackendRejectedError, type ServiceSpecView } from '@sluice/core';
import { freePort, ManualTimers, startBackend, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider, type LocalLoadBalancer, type LocalProviderOptions } from './index.ts';
import { backend, cluster, service, signal } from './test-support/fixtures.ts';

const live = await startBackend('live');
after(() => live.close());

function at(ip: string, podUid: string, servicePort = 'http'): Backend {
  return { ...backend(live.port, podUid, 1, servicePort), ip };
}

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

/** Status and registrations; manual timers keep health from moving between two looks. */
async function observe(lb: LocalLoadBalancer, svc: ServiceSpecView) {
  return {
    lookup: await lb.getLoadBalancer(cluster, svc, signal),
    backends: await lb.getBackendHealth(cluster, svc, signal),
  };
}

describe('backends outside backendCidrs are refused and the call changes nothing', () => {
  interface Case {
    readonly name: string;
    readonly options: LocalProviderOptions;
    /** Backends of an ensure before the refused call; none: the Service is new. */
    readonly before?: readonly Backend[];
    readonly call: 'ensure' | 'update';
    /** The refused call adds a second port (ensure only), to prove it is not opened. */
    readonly addsPort?: boolean;
    readonly backends: readonly Backend[];
    /** Indexes into `backends` of those refused. */
    readonly refused: readonly number[];
  }
  const cases: Case[] = [
    {
      name: 'update with one backend outside the ranges',
      options: { backendCidrs: ['127.0.0.0/8'] },
      before: [at('127.0.0.1', 'pod-1')],
      call: 'update',
      backends: [at('127.0.0.1', 'pod-1'), at('127.0.0.2', 'pod-2'), at('10.1.2.3', 'pod-3')],
      refused: [2],
    },
    {
      name: 'update with a multicast backend and no ranges set',
      options: {},
      before: [at('127.0.0.1', 'pod-1')],
      call: 'update',
      backends: [at('224.0.0.9', 'pod-9')],
      refused: [0],
    },
    {
      name: 'ensure of a new Service with a backend outside the ranges',
      options: { backendCidrs: ['10.244.0.0/16', 'fd00::/64'] },
      call: 'ensure',
      backends: [at('10.244.0.5', 'pod-ok'), at('127.0.0.1', 'pod-1'), at('::1', 'pod-6')],
      refused: [1, 2],
    },
    {
      name: 'ensure of an existing Service that adds a port and an outside backend',
      options: { backendCidrs: ['127.0.0.1/32'] },
      before: [at('127.0.0.1', 'pod-1')],
      call: 'ensure',
      addsPort: true,
      backends: [at('127.0.0.1', 'pod-1'), at('127.0.0.3', 'pod-3', 'admin')],
      refused: [1],
    },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const lb = createLocalProvider({ dataplane: 'embedded', ...c.options, timers: new ManualTimers() });
      t.after(() => lb.close());
      const [httpPort, adminPort] = [await freePort(), await freePort()];
      const original = service({ ports: [{ name: 'http', port: httpPort, protocol: 'TCP', targetPort: 8080 }] });
      if (c.before) await lb.ensureLoadBalancer(cluster, original, c.before, signal);
      const svc = c.addsPort
        ? service({ ports: [...original.ports, { name: 'admin', port: adminPort, protocol: 'TCP', targetPort: 8080 }] })
        : original;
      const seen = await observe(lb, svc);

      const call = c.call === 'update' ? lb.updateLoadBalancer(cluster, svc, c.backends, signal) : lb.ensureLoadBalancer(cluster, svc, c.backends, signal);
      const error = await call.then(
        () => assert.fail('the call should reject'),
        (e: unknown) => e,
      );
      assert.ok(isBackendRejectedError(error), String(error));
      assert.deepEqual(
        error.rejected.map((r) => r.key),
        c.refused.map((i) => backendKey(c.backends[i]!)),
      );
      for (const [n, r] of error.rejected.entries()) {
        const b = c.backends[c.refused[n]!]!;
        assert.ok(r.message.includes(`of pod default/${b.podName} `) && r.message.includes(b.ip), r.message);
        if (c.options.backendCidrs) assert.ok(r.message.includes(c.options.backendCidrs.join(', ')), r.message);
      }

      assert.deepEqual(await observe(lb, svc), seen, 'status and registrations are as before');
      if (c.before) assert.equal(await whoAnswers({ address: '127.0.0.1', port: httpPort }), 'live', 'the previous backends still serve');
      else assert.deepEqual(seen.lookup, { exists: false });
      if (!c.before || c.addsPort) assert.ok(await refused(c.addsPort ? adminPort : httpPort), 'no listener was opened');
    });
  }

  test('the backends inside the ranges are accepted once the refused ones are taken out', async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded', backendCidrs: ['127.0.0.1/32'] });
    t.after(() => lb.close());
    const backends = [at('127.0.0.1', 'pod-1'), at('127.0.0.2', 'pod-2')];
    const error = await lb.ensureLoadBalancer(cluster, service(), backends, signal).catch((e: unknown) => e);
    assert.ok(isBackendRejectedError(error));
    const refusedKeys = new Set(error.rejected.map((r) => r.key));
    await lb.ensureLoadBalancer(cluster, service(), backends.filter((b) => !refusedKeys.has(backendKey(b))), signal);
    const address = await lb.listenerAddress(service(), 'http');
    assert.ok(address);
    assert.equal(await whoAnswers(address), 'live');
  });
});
