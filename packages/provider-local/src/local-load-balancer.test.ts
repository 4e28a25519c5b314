import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { isRetryableError, isTerminalError, TerminalError } from '@sluice/core';
import { createEngine } from '@sluice/dataplane';
import { freePort, ManualTimers, startBackend, waitFor, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider } from './index.ts';
import { backend, cluster, recordingLogger, service, signal } from './test-support/fixtures.ts';

const live = await startBackend('live');
after(() => live.close());

/** Resolves with the error code of a plain connect to `port`, or 'connected'. */
async function connectOutcome(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  try {
    await once(socket, 'connect');
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  } finally {
    socket.destroy();
  }
}

describe('LocalLoadBalancer lifecycle', () => {
  test('reports its provider name and capabilities', () => {
    const lb = createLocalProvider();
    assert.equal(lb.providerName, 'local');
    assert.deepEqual(lb.capabilities, {
      weights: true,
      drainInPlace: true,
      drainMode: 'weight',
      maxBatch: Number.POSITIVE_INFINITY,
      protocols: ['TCP'],
      tracksPodUid: true,
      honours: { sourceRanges: true, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4', 'IPv6'] },
      ipMode: 'Proxy',
      healthCheckIntervalMs: 1_000,
    });
    assert.equal(lb.getLoadBalancerName(cluster, service()), 'sluice-default-web');
  });

  test('ensure opens a listener per port and returns the advertised ingress', async (t) => {
    const log = recordingLogger();
    const lb = createLocalProvider({ dataplane: 'embedded', advertiseAddress: '192.0.2.10', log });
    t.after(() => lb.close());
    const svc = service({
      ports: [
        { name: 'http', port: 0, protocol: 'TCP', targetPort: 8080 },
        { name: 'admin', port: 0, protocol: 'TCP', targetPort: 9090 },
      ],
    });
    assert.deepEqual(await lb.getLoadBalancer(cluster, svc, signal), { exists: false });

    const status = await lb.ensureLoadBalancer(cluster, svc, [backend(live.port, 'pod-1')], signal);
    const expected = {
      ingress: [
        {
          ip: '192.0.2.10',
          ports: [
            { port: 0, protocol: 'TCP' },
            { port: 0, protocol: 'TCP' },
          ],
        },
      ],
    };
    assert.deepEqual(status, expected);
    assert.deepEqual(await lb.getLoadBalancer(cluster, svc, signal), { exists: true, status: expected });

    const http = await lb.listenerAddress(svc, 'http');
    const admin = await lb.listenerAddress(svc, 'admin');
    assert.ok(http && admin);
    assert.equal(http.address, '127.0.0.1');
    assert.notEqual(http.port, admin.port);
    assert.equal(await whoAnswers(http), 'live');
    // Backends of another Service port do not serve this one.
    assert.equal(await whoAnswers(admin), undefined);
    assert.ok(log.entries.some((e) => e.level === 'info' && e.message.includes(`listening on 127.0.0.1:${http.port}`)));
  });

  test("uses the Service's own port, refuses a taken one without a fallback, and keeps it", async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    t.after(() => lb.close());
    const wanted = await freePort();
    const own = service({ name: 'own', ports: [{ name: 'http', port: wanted, protocol: 'TCP', targetPort: 80 }] });
    const ownStatus = await lb.ensureLoadBalancer(cluster, own, [], signal);
    assert.equal((await lb.listenerAddress(own, 'http'))?.port, wanted);
    assert.deepEqual(ownStatus.ingress[0]?.ports, [{ port: wanted, protocol: 'TCP' }]);

    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as { port: number }).port;
    const busy = service({ name: 'busy', uid: 'uid-busy', ports: [{ name: 'http', port: taken, protocol: 'TCP', targetPort: 80 }] });
    const error = await lb.ensureLoadBalancer(cluster, busy, [], signal).then(
      () => assert.fail('ensure should reject'),
      (e: unknown) => e,
    );
    assert.ok(isRetryableError(error));
    assert.equal(error.reason, 'PortInUse');
    assert.equal(error.field, 'spec.ports[0].port');
    assert.equal(
      error.message,
      `The local load balancer cannot listen on 127.0.0.1:${taken} for Service default/busy port http: the port is in use by another listener (another Service or program); choose a free port.`,
    );
    assert.deepEqual(await lb.getLoadBalancer(cluster, busy, signal), { exists: false }, 'no load balancer advertises a port it does not hold');
    assert.equal(await lb.listenerAddress(busy, 'http'), undefined);

    // Once the port is free, the retry binds exactly it; later ensures keep that listener.
    blocker.close();
    await once(blocker, 'close');
    await lb.ensureLoadBalancer(cluster, busy, [backend(live.port, 'pod-1')], signal);
    const bound = await lb.listenerAddress(busy, 'http');
    assert.equal(bound?.port, taken);
    await lb.ensureLoadBalancer(cluster, busy, [backend(live.port, 'pod-1')], signal);
    assert.deepEqual(await lb.listenerAddress(busy, 'http'), bound, 'an existing listener is not rebound');
    assert.equal(await whoAnswers({ address: '127.0.0.1', port: taken }), 'live');
  });

  test('ensure closes the listener of a port the Service dropped', async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    t.after(() => lb.close());
    const two = service({
      ports: [
        { name: 'http', port: 0, protocol: 'TCP', targetPort: 80 },
        { name: 'admin', port: 0, protocol: 'TCP', targetPort: 81 },
      ],
    });
    await lb.ensureLoadBalancer(cluster, two, [], signal);
    const admin = await lb.listenerAddress(two, 'admin');
    const http = await lb.listenerAddress(two, 'http');
    assert.ok(admin && http);
    const one = service({ ports: [{ name: 'http', port: 0, protocol: 'TCP', targetPort: 80 }] });
    const status = await lb.ensureLoadBalancer(cluster, one, [], signal);
    assert.deepEqual(status.ingress[0]?.ports, [{ port: 0, protocol: 'TCP' }]);
    assert.equal(await lb.listenerAddress(one, 'admin'), undefined);
    assert.deepEqual(await lb.listenerAddress(one, 'http'), http);
    assert.equal(await connectOutcome(admin.port), 'ECONNREFUSED');
  });

  test('a UDP port is a TerminalError naming the port and nothing is opened', async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    t.after(() => lb.close());
    const svc = service({
      ports: [
        { name: 'http', port: 0, protocol: 'TCP', targetPort: 80 },
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      ],
    });
    const error = await lb.ensureLoadBalancer(cluster, svc, [], signal).then(
      () => assert.fail('ensure should reject'),
      (e: unknown) => e,
    );
    assert.ok(isTerminalError(error));
    assert.equal(error.field, 'spec.ports[1].protocol');
    assert.equal(
      error.message,
      'Service default/web port "dns" (53/UDP) uses protocol UDP, but the local provider supports TCP only.',
    );
    assert.deepEqual(await lb.getLoadBalancer(cluster, svc, signal), { exists: false });
    assert.equal(await lb.listenerAddress(svc, 'http'), undefined);
  });

  test('every method rejects with the reason of an aborted signal', async () => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const aborted = controller.signal;
    await assert.rejects(lb.getLoadBalancer(cluster, service(), aborted), reason);
    await assert.rejects(lb.ensureLoadBalancer(cluster, service(), [], aborted), reason);
    await assert.rejects(lb.updateLoadBalancer(cluster, service(), [], aborted), reason);
    await assert.rejects(lb.ensureLoadBalancerDeleted(cluster, service(), aborted), reason);
    await assert.rejects(lb.getBackendHealth(cluster, service(), aborted), reason);
    assert.deepEqual(await lb.getLoadBalancer(cluster, service(), signal), { exists: false });
  });

  test('update before ensure is retryable; delete is idempotent', async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    t.after(() => lb.close());
    const error = await lb.updateLoadBalancer(cluster, service(), [], signal).catch((e: unknown) => e);
    assert.ok(isRetryableError(error));
    await lb.ensureLoadBalancerDeleted(cluster, service(), signal);

    await lb.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1')], signal);
    const address = await lb.listenerAddress(service(), 'http');
    assert.ok(address);
    await lb.ensureLoadBalancerDeleted(cluster, service(), signal);
    await lb.ensureLoadBalancerDeleted(cluster, service(), signal);
    assert.deepEqual(await lb.getLoadBalancer(cluster, service(), signal), { exists: false });
    assert.deepEqual(await lb.getBackendHealth(cluster, service(), signal), []);
    assert.equal(await connectOutcome(address.port), 'ECONNREFUSED');
  });

  test('a re-created Service (new UID) is a different load balancer', async (t) => {
    const lb = createLocalProvider({ dataplane: 'embedded' });
    t.after(() => lb.close());
    await lb.ensureLoadBalancer(cluster, service(), [], signal);
    assert.deepEqual(await lb.getLoadBalancer(cluster, service({ uid: 'uid-2' }), signal), { exists: false });
  });

  test('health reports podUid, weight, and draining for weight 0', async (t) => {
    const timers = new ManualTimers();
    const lb = createLocalProvider({ dataplane: 'embedded', timers, healthyThreshold: 1 });
    t.after(() => lb.close());
    const dead = await freePort();
    await lb.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1', 3), backend(dead, 'pod-2', 0)], signal);
    const health = await waitFor('first check', async () => {
      const all = await lb.getBackendHealth(cluster, service(), signal);
      return all.some((b) => b.health === 'healthy') ? all : undefined;
    });
    assert.deepEqual(health, [
      { servicePort: 'http', ip: '127.0.0.1', port: live.port, podUid: 'pod-1', weight: 3, health: 'healthy' },
      { servicePort: 'http', ip: '127.0.0.1', port: dead, podUid: 'pod-2', weight: 0, health: 'draining', reason: 'weight is 0' },
    ]);
  });

  test('the same ip:port under a new pod UID is a new registration starting at initial', async (t) => {
    const timers = new ManualTimers();
    const lb = createLocalProvider({ dataplane: 'embedded', timers, healthyThreshold: 2, intervalMs: 50_000, timeoutMs: 40_000 });
    t.after(() => lb.close());
    await lb.ensureLoadBalancer(cluster, service(), [backend(live.port, 'old-pod')], signal);
    // Check 1 runs on registration; check 2 runs when its timer fires.
    await waitFor('first check', () => (timers.pending(50_000) === 1 ? true : undefined));
    timers.fire(50_000);
    await waitFor('healthy', async () => {
      const [b] = await lb.getBackendHealth(cluster, service(), signal);
      return b?.health === 'healthy' ? true : undefined;
    });

    await lb.updateLoadBalancer(cluster, service(), [backend(live.port, 'new-pod')], signal);
    assert.equal(timers.pending(50_000), 0, 'the old registration no longer schedules checks');
    assert.deepEqual(await lb.getBackendHealth(cluster, service(), signal), [
      { servicePort: 'http', ip: '127.0.0.1', port: live.port, podUid: 'new-pod', weight: 1, health: 'initial' },
    ]);

    // A weight change of the same registration keeps its health.
    await waitFor('first check of the new pod', () => (timers.pending(50_000) === 1 ? true : undefined));
    timers.fire(50_000);
    await waitFor('healthy', async () => {
      const [b] = await lb.getBackendHealth(cluster, service(), signal);
      return b?.health === 'healthy' ? true : undefined;
    });
    await lb.updateLoadBalancer(cluster, service(), [backend(live.port, 'new-pod', 5)], signal);
    const [after] = await lb.getBackendHealth(cluster, service(), signal);
    assert.equal(after?.health, 'healthy');
    assert.equal(after?.weight, 5);
  });

  test('a change of checked health is logged once, when read; an adopted backend comes from unknown', async (t) => {
    const log = recordingLogger();
    const engine = createEngine();
    t.after(() => engine.close());
    const lb = createLocalProvider({ dataplane: engine, intervalMs: 20, healthyThreshold: 1, unhealthyThreshold: 1, log });
    const doomed = await startBackend('doomed');
    await lb.ensureLoadBalancer(cluster, service(), [backend(doomed.port, 'pod-d')], signal);
    const changes = () =>
      log.entries.filter((e) => e.message === 'backend health changed').map((e) => `${e.fields?.['podUid']} ${e.fields?.['from']}->${e.fields?.['to']}${e.fields?.['reason'] ? ` (${e.fields['reason']})` : ''}`);
    const readUntil = (health: string) =>
      waitFor(health, async () => ((await lb.getBackendHealth(cluster, service(), signal))[0]?.health === health ? true : undefined));
    await readUntil('healthy');
    await lb.getBackendHealth(cluster, service(), signal);
    await doomed.close();
    await readUntil('unhealthy');
    assert.deepEqual(changes(), ['pod-d initial->healthy', 'pod-d healthy->unhealthy (ECONNREFUSED)']);
    const line = log.entries.find((e) => e.message === 'backend health changed');
    assert.deepEqual(line?.fields, { service: 'default/web', listener: 'default/web:http', backend: `127.0.0.1:${doomed.port}`, podUid: 'pod-d', from: 'initial', to: 'healthy' });

    const adopting = createLocalProvider({ dataplane: engine, log });
    await adopting.getBackendHealth(cluster, service(), signal);
    assert.equal(changes().at(-1), 'pod-d unknown->unhealthy (ECONNREFUSED)');
  });

  test('close releases everything and later changes are refused', async () => {
    const lb = createLocalProvider({ dataplane: 'embedded', intervalMs: 20 });
    await lb.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1')], signal);
    const address = await lb.listenerAddress(service(), 'http');
    assert.ok(address);
    await lb.close();
    assert.equal(await connectOutcome(address.port), 'ECONNREFUSED');
    await assert.rejects(lb.ensureLoadBalancer(cluster, service(), [], signal), TerminalError);
  });
});
