import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectDataPlane } from './control/client.ts';
import { startDataPlaneProcess } from './control/process.ts';
import { serveControlApi } from './control/server.ts';
import { createEngine } from './engine.ts';
import { isConflictError, isControlApiError, isInvalidSpecError, isListenError, isNotFoundError } from './errors.ts';
import { countAnswers, LineClient, startBackend, waitFor, whoAnswers } from './testing/sockets.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-dataplane-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = await startBackend('a');
const b = await startBackend('b');
after(() => Promise.all([a.close(), b.close()]));
let sockets = 0;
const socketPath = (): string => join(dir, `dp-${++sockets}.sock`);
const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));

test('out of process: program it, pass traffic, drop the client, traffic still flows, a new client reads everything back', async (t) => {
  const path = socketPath();
  const proc = await startDataPlaneProcess({ socketPath: path, timeScale: 0.01 });
  t.after(() => proc.stop());
  const client = await connectDataPlane(path);
  await client.putTargetGroup({ name: 'web', drain: { mode: 'deregister', delayMs: 1_000_000, terminateOnExpiry: true } });
  await client.putHealthCheck('web', { intervalMs: 10_000, healthyThreshold: 1, unhealthyThreshold: 1 });
  await client.setTargets('web', [
    { ip: '127.0.0.1', port: a.port },
    { ip: '127.0.0.1', port: b.port },
  ]);
  const listener = await client.putListener({ name: 'web:80', port: 0, targetGroup: 'web', tags: ['frontend'] });
  const address = { address: '127.0.0.1', port: listener.bound.port };
  await waitFor('both healthy', async () => ((await client.targetHealth('web')).every((h) => h.state === 'healthy') ? true : undefined));
  assert.deepEqual(await countAnswers(address, 4), new Map([['a', 2], ['b', 2]]));

  const longLived = await LineClient.connect(address);
  t.after(() => longLived.close());
  const first = await longLived.nextLine();
  client.disconnect();
  assert.ok((await whoAnswers(address)) !== undefined, 'new connections are served without a client');
  assert.equal(await longLived.roundTrip('still'), `${first}:still`, 'open connections continue');

  const again = await connectDataPlane(path);
  t.after(() => again.disconnect());
  const state = await again.state();
  assert.equal(state.timeScale, 0.01);
  assert.deepEqual(state.listeners, [{ ...listener }]);
  assert.equal(state.targetGroups.length, 1);
  const group = state.targetGroups[0];
  assert.deepEqual(group?.drain, { mode: 'deregister', delayMs: 1_000_000, terminateOnExpiry: true });
  assert.equal(group?.healthCheck?.intervalMs, 10_000);
  assert.deepEqual(
    group?.targets.map((h) => [h.port, h.state]),
    [
      [a.port, 'healthy'],
      [b.port, 'healthy'],
    ],
  );
  const stats = await again.stats();
  assert.equal(stats.listeners[0]?.proxied, 6);

  await again.deregisterTargets('web', [{ ip: '127.0.0.1', port: a.port }]);
  assert.deepEqual((await again.targetHealth('web')).find((h) => h.port === a.port)?.state, 'draining');
  assert.deepEqual(await countAnswers(address, 2), new Map([['b', 2]]));

  await again.putFirewallRule({ name: 'deny-clients', priority: 10, direction: 'to-listener', action: 'deny', destination: { tags: ['frontend'] } });
  assert.equal(await whoAnswers(address), undefined);
  assert.equal((await again.state()).firewall.rules[0]?.name, 'deny-clients');
  await again.deleteFirewallRule('deny-clients');
  assert.equal(await whoAnswers(address), 'b');

  assert.equal(await proc.stop(), 0, 'SIGTERM exits cleanly');
  assert.equal(existsSync(path), false, 'the socket file is removed');
  assert.equal(await whoAnswers(address), undefined, 'the listeners are closed');
});

test('out of process: errors keep their class and their one sentence', async (t) => {
  const path = socketPath();
  const proc = await startDataPlaneProcess({ socketPath: path });
  t.after(() => proc.stop());
  const client = await connectDataPlane(path);
  t.after(() => client.disconnect());
  await client.putTargetGroup({ name: 'tg' });
  await assert.rejects(client.putHealthCheck('tg', { intervalMs: -1 }), (error: unknown) => {
    assert.ok(isInvalidSpecError(error));
    assert.equal(error.message, 'healthCheck.intervalMs is -1, but it must be a number of milliseconds from 1 to 2147483647.');
    assert.equal(error.field, 'healthCheck.intervalMs');
    return true;
  });
  await assert.rejects(client.registerTargets('nope', []), isNotFoundError);
  const l = await client.putListener({ name: 'l', port: 0, targetGroup: 'tg' });
  await assert.rejects(client.deleteTargetGroup('tg'), isConflictError);
  await assert.rejects(client.putListener({ name: 'm', port: l.bound.port, targetGroup: 'tg' }), (error: unknown) => isListenError(error) && error.code === 'EADDRINUSE');

  const raw = await rawRequest(path, 'PUT', '/v1/target-groups/tg', '{"connectRetries": "many"}');
  assert.equal(raw.status, 400);
  assert.deepEqual(JSON.parse(raw.body), {
    error: { name: 'InvalidSpecError', message: 'targetGroup.connectRetries is "many", but it must be an integer from 0 to 100.', field: 'targetGroup.connectRetries' },
  });
  const notJson = await rawRequest(path, 'PUT', '/v1/time-scale', 'fast');
  assert.equal(notJson.status, 400);
  assert.match(JSON.parse(notJson.body).error.message, /^The request body of PUT \/v1\/time-scale is not JSON/);
  const mismatch = await rawRequest(path, 'PUT', '/v1/listeners/l', JSON.stringify({ name: 'other', port: 0, targetGroup: 'tg' }));
  assert.equal(mismatch.status, 400);
  assert.equal(JSON.parse(mismatch.body).error.message, 'listener.name is "other", but it must be absent or equal the name in the path, "l".');
  assert.equal((await rawRequest(path, 'GET', '/v1/nothing', '')).status, 404);
  assert.equal((await rawRequest(path, 'POST', '/v1/state', '{}')).status, 405);
});

test('out of process: a scoped state read returns only the names under its prefix', async (t) => {
  const path = socketPath();
  const proc = await startDataPlaneProcess({ socketPath: path });
  t.after(() => proc.stop());
  const client = await connectDataPlane(path);
  t.after(() => client.disconnect());
  for (const owner of ['svc/a/', 'svc/ab/']) {
    await client.putTargetGroup({ name: `${owner}http` });
    await client.putListener({ name: `${owner}http@0`, port: 0, targetGroup: `${owner}http` });
    await client.putFirewallRule({ name: `${owner}deny`, priority: 10, direction: 'to-listener', action: 'deny', destination: { tags: ['none'] } });
  }
  const names = (s: Awaited<ReturnType<typeof client.state>>) => [...s.listeners, ...s.targetGroups, ...s.firewall.rules].map((x) => x.name);
  assert.deepEqual(names(await client.state({ prefix: 'svc/a/' })), ['svc/a/http@0', 'svc/a/http', 'svc/a/deny']);
  assert.deepEqual(names(await client.state({ prefix: 'nobody/' })), []);
  assert.equal(names(await client.state()).length, 6, 'unscoped: everything');
});

test('a client of a socket nothing serves rejects with a ControlApiError', async () => {
  await assert.rejects(connectDataPlane(join(dir, 'absent.sock')), (error: unknown) => isControlApiError(error) && /cannot be reached \(ENOENT\)/.test((error as Error).message));
});

test('the bin prints exactly one ready line on stdout; bad flags exit 2 with one line on stderr', async () => {
  const path = socketPath();
  const child = spawn(process.execPath, ['--conditions=@sluice/source', bin, '--socket', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  await waitFor('ready', () => (stdout.includes('\n') ? true : undefined));
  const client = await connectDataPlane(path);
  await client.putTargetGroup({ name: 'tg' });
  await client.putListener({ name: 'l', port: 0, targetGroup: 'tg' });
  client.disconnect();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(stdout), { ready: true, socket: path, pid: child.pid });
  assert.equal(stdout.split('\n').length, 2, 'one line and nothing after it');

  const bad = spawn(process.execPath, ['--conditions=@sluice/source', bin, '--socket', path, '--time-scale', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  bad.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [badCode] = await once(bad, 'exit');
  assert.equal(badCode, 2);
  assert.equal(stderr, 'sluice-dataplane: --time-scale is "0", but it must be a number greater than 0 and at most 1000.\n');
});

test('a detached engine that was killed leaves a stale socket; the next one replaces it, a live one is refused', async (t) => {
  const path = socketPath();
  const first = await startDataPlaneProcess({ socketPath: path, detached: true });
  process.kill(first.pid, 'SIGKILL');
  await waitFor('killed', () => {
    try {
      process.kill(first.pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  assert.equal(existsSync(path), true, 'SIGKILL leaves the socket file behind');
  const second = await startDataPlaneProcess({ socketPath: path });
  t.after(() => second.stop());
  const client = await connectDataPlane(path);
  client.disconnect();
  await assert.rejects(serveControlApi(createEngine(), { socketPath: path }), isConflictError);
});

function rawRequest(socketPath: string, method: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
