import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startContainerProcess } from './container-process.ts';
import { listNamespaces, removeStaleNamespaces } from './netns-cleanup.ts';
import { createPodNetwork, type PodNetwork } from './pod-network.ts';

function get(host: string, port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

let network: PodNetwork;
before(async () => {
  network = await createPodNetwork();
});
after(async () => {
  await network?.destroy();
});

test('a server on a pod IP is reachable from the root namespace', async () => {
  const ip = network.allocate();
  assert.match(ip, /^10\.\d+\.1\.1$/);
  const app = startContainerProcess({ network, env: { POD_NAME: 'pod-a', POD_IP: ip, PORT: '8080' } });
  try {
    await app.started;
    const res = await get(ip, 8080);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'pod-a\n');
  } finally {
    app.signal('SIGKILL');
    await app.exit;
    network.release(ip);
  }
  const addresses = execFileSync('ip', ['-n', network.namespace, '-4', 'addr', 'show'], { encoding: 'utf8' });
  assert.doesNotMatch(addresses, new RegExp(`${ip.replaceAll('.', '\\.')}/32`), 'released address is removed');
});

test('two pods may share a chosen address; it stays on the interface until the last one releases it', async () => {
  const shared = network.allocate();
  assert.equal(network.allocate(shared), shared, 'a second pod takes the same address');
  assert.equal(network.holders(shared), 2);
  const a = startContainerProcess({ network, env: { POD_NAME: 'old', POD_IP: shared, PORT: '8080' } });
  const b = startContainerProcess({ network, env: { POD_NAME: 'new', POD_IP: shared, PORT: '8081' } });
  const onInterface = (address = shared) => execFileSync('ip', ['-n', network.namespace, '-4', 'addr', 'show'], { encoding: 'utf8' }).includes(`${address}/32`);
  try {
    await Promise.all([a.started, b.started]);
    assert.equal((await get(shared, 8080)).body, 'old\n');
    assert.equal((await get(shared, 8081)).body, 'new\n');
    a.signal('SIGKILL');
    await a.exit;
    network.release(shared);
    assert.ok(onInterface(), 'the address stays while the other pod holds it');
    assert.equal((await get(shared, 8081)).body, 'new\n', 'the pod still holding it keeps serving');
  } finally {
    b.signal('SIGKILL');
    a.signal('SIGKILL');
    await Promise.all([a.exit, b.exit]);
  }
  network.release(shared);
  assert.equal(network.holders(shared), 0);
  assert.ok(!onInterface(), 'the last release removes the address');
  // A chosen address nobody held goes on the interface; addresses outside the /16 or reserved are refused.
  const chosen = network.cidr.replace(/\.0\.0\/16$/, '.200.10');
  assert.equal(network.allocate(chosen), chosen);
  assert.ok(onInterface(chosen), 'a chosen address is added to the interface');
  network.release(chosen);
  assert.ok(!onInterface(chosen));
  assert.throws(() => network.allocate('192.0.2.1'), /pod IP 192\.0\.2\.1 is outside the pod range 10\.\d+\.0\.0\/16/);
  assert.throws(() => network.allocate(network.hostIp), /reserved/, 'the host end is never a pod IP');
});

test('the namespace routes nothing but the pod /16', () => {
  const routes = execFileSync('ip', ['-n', network.namespace, '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
  assert.doesNotMatch(routes, /default/);
  assert.deepEqual(
    routes.trim().split('\n').map((l) => l.split(' ')[0]),
    [network.cidr],
  );
  const routes6 = execFileSync('ip', ['-n', network.namespace, '-6', 'route', 'show'], { encoding: 'utf8' });
  assert.doesNotMatch(routes6, /default/);
});

test('close behaviour drains and exits on SIGTERM; keep-serving ignores it', async () => {
  const ipA = network.allocate();
  const ipB = network.allocate();
  assert.notEqual(ipA, ipB);
  const closing = startContainerProcess({ network, env: { POD_NAME: 'a', POD_IP: ipA, PORT: '80', SIGTERM_BEHAVIOUR: 'close' } });
  const keeping = startContainerProcess({ network, env: { POD_NAME: 'b', POD_IP: ipB, PORT: '80' } });
  try {
    await Promise.all([closing.started, keeping.started]);
    // An in-flight request survives the drain; the program exits once it is answered.
    const inFlight = get(ipA, 80, '/slow?ms=600');
    await new Promise((r) => setTimeout(r, 200));
    const signalled = performance.now();
    closing.signal('SIGTERM');
    keeping.signal('SIGTERM');
    assert.equal((await inFlight).body, 'a\n');
    const exit = await closing.exit;
    assert.equal(exit.code, 0);
    assert.ok(performance.now() - signalled >= 300, 'the program waited for the request in flight');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(keeping.exited, false);
    assert.equal((await get(ipB, 80)).body, 'b\n');
    await assert.rejects(get(ipA, 80));
  } finally {
    keeping.signal('SIGKILL');
    closing.signal('SIGKILL');
    await Promise.all([keeping.exit, closing.exit]);
  }
});

test('destroy removes the namespace', async () => {
  const other = await createPodNetwork({ removeStale: false });
  assert.notEqual(other.cidr, network.cidr, 'a concurrent network gets its own range');
  assert.ok(listNamespaces().includes(other.namespace));
  await other.destroy();
  assert.ok(!listNamespaces().includes(other.namespace));
});

test('only namespaces of dead runs are treated as stale', () => {
  const dead = 'sluice-4194305-dead'; // above the largest possible pid_max
  const live = `sluice-${process.pid}-beef`;
  execFileSync('ip', ['netns', 'add', dead]);
  execFileSync('ip', ['netns', 'add', live]);
  try {
    assert.deepEqual(removeStaleNamespaces(), [dead]);
    const names = listNamespaces();
    assert.ok(!names.includes(dead));
    assert.ok(names.includes(live) && names.includes(network.namespace));
  } finally {
    execFileSync('ip', ['netns', 'del', live]);
  }
});
