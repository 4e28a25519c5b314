/**
 * The default mode: the engine is a `sluice-dataplane` process on a control socket, started
 * by the first write when nothing answers, detached, so that it outlives the provider.
 * Every engine a test starts is stopped by the test (SIGTERM by pid).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRetryableError } from '@sluice/core';
import { startBackend, waitFor, whoAnswers } from '@sluice/dataplane/testing';
import { createLocalProvider, type LocalProviderOptions } from './index.ts';
import { backend, cluster, recordingLogger, service, signal } from './test-support/fixtures.ts';

const live = await startBackend('live');
after(() => live.close());

const started = new Set<number>();
after(async () => {
  for (const pid of started) stopPid(pid);
  await waitFor('every engine to exit', () => ([...started].every((pid) => !alive(pid)) ? true : undefined), 10_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function stopPid(pid: number, signalName: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signalName);
  } catch {
    // already gone
  }
}

/** A socket path in a directory that does not exist yet. */
function socketPath(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-local-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'run', 'dataplane.sock');
}

/** A process-mode provider whose log records the engines it starts (so the test can stop them). */
function provider(socket: string, options: LocalProviderOptions = {}) {
  const log = recordingLogger();
  const lb = createLocalProvider({ intervalMs: 50, healthyThreshold: 1, ...options, dataplaneSocket: socket, log });
  const pids = (): number[] =>
    log.entries.filter((e) => e.message === 'started the data plane').map((e) => {
      const pid = Number(e.fields?.['pid']);
      started.add(pid);
      return pid;
    });
  return Object.assign(lb, { log, pids });
}

describe('the data plane in its own process', () => {
  test('reads never start an engine: no engine, no load balancer', async (t) => {
    const socket = socketPath(t);
    const lb = provider(socket);
    t.after(() => lb.close());
    assert.deepEqual(await lb.getLoadBalancer(cluster, service(), signal), { exists: false });
    assert.deepEqual(await lb.getBackendHealth(cluster, service(), signal), []);
    assert.equal(await lb.listenerAddress(service(), 'http'), undefined);
    await lb.ensureLoadBalancerDeleted(cluster, service(), signal);
    const error = await lb.updateLoadBalancer(cluster, service(), [], signal).catch((e: unknown) => e);
    assert.ok(isRetryableError(error) && error.reason === 'LoadBalancerNotFound', String(error));
    assert.equal(existsSync(socket), false, 'nothing was started');
    assert.deepEqual(lb.pids(), []);
  });

  test('the first write starts it detached; it outlives the provider, a new provider adopts, and one that died is started again', { timeout: 60_000 }, async (t) => {
    const socket = socketPath(t);
    const first = provider(socket);
    await first.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1')], signal);
    const [pid] = first.pids();
    assert.ok(pid !== undefined && alive(pid), 'sluice-dataplane runs');
    assert.equal(statSync(join(socket, '..')).mode & 0o777, 0o700, 'the socket directory is private');
    const address = await first.listenerAddress(service(), 'http');
    assert.ok(address);
    assert.equal(await whoAnswers(address), 'live');

    // The controller closes its provider (SIGTERM): the engine keeps serving.
    await first.close();
    assert.equal(await whoAnswers(address), 'live');

    const second = provider(socket);
    t.after(() => second.close());
    const lookup = await second.getLoadBalancer(cluster, service(), signal);
    assert.equal(lookup.exists, true);
    assert.deepEqual(await second.listenerAddress(service(), 'http'), address);
    await waitFor('the adopted backend healthy', async () =>
      (await second.getBackendHealth(cluster, service(), signal))[0]?.health === 'healthy' ? true : undefined,
    );
    await second.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1')], signal);
    assert.deepEqual(second.pids(), [], 'the running engine was used, none started');

    // The engine dies. The call that finds out is retryable; the next write starts a new one.
    stopPid(pid, 'SIGKILL');
    await waitFor('the engine to be gone', () => (alive(pid) ? undefined : true));
    const lost = await second.getLoadBalancer(cluster, service(), signal).catch((e: unknown) => e);
    assert.ok(isRetryableError(lost) && lost.reason === 'DataPlaneUnavailable', String(lost));
    assert.deepEqual(await second.getLoadBalancer(cluster, service(), signal), { exists: false }, 'an engine that is gone holds no load balancer');
    await second.ensureLoadBalancer(cluster, service(), [backend(live.port, 'pod-1')], signal);
    const [restarted] = second.pids();
    assert.ok(restarted !== undefined && restarted !== pid && alive(restarted), 'a new engine was started');
    const again = await second.listenerAddress(service(), 'http');
    assert.ok(again);
    assert.equal(await whoAnswers(again), 'live');
  });

  test('concurrent first writes, also from two providers, start one engine', { timeout: 60_000 }, async (t) => {
    const socket = socketPath(t);
    const one = provider(socket);
    const two = provider(socket);
    t.after(async () => {
      await one.close();
      await two.close();
    });
    const services = [service({ name: 'a', uid: 'uid-a' }), service({ name: 'b', uid: 'uid-b' }), service({ name: 'c', uid: 'uid-c' })];
    await Promise.all([
      ...services.map((svc) => one.ensureLoadBalancer(cluster, svc, [backend(live.port, 'pod-1')], signal)),
      two.ensureLoadBalancer(cluster, service({ name: 'd', uid: 'uid-d' }), [backend(live.port, 'pod-1')], signal),
    ]);
    const pids = [...one.pids(), ...two.pids()];
    assert.ok(pids.length >= 1 && pids.length <= 2, `${pids.length} engines reported started`);
    assert.equal(pids.filter(alive).length, 1, 'one engine serves');
    for (const svc of [...services, service({ name: 'd', uid: 'uid-d' })]) {
      const address = await two.listenerAddress(svc, 'http');
      assert.ok(address, `${svc.name} has a listener`);
      assert.equal(await whoAnswers(address), 'live');
    }
  });
});
