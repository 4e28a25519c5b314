import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startContainerProcess } from './container-process.ts';
import { listNamespaces, removeStaleNamespaces } from './netns-cleanup.ts';
import { formatIpv6, parseCidr6 } from './ipv6.ts';
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

test('the namespace routes nothing but the pod /16 and /64', () => {
  const routes = execFileSync('ip', ['-n', network.namespace, '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
  assert.doesNotMatch(routes, /default/);
  assert.deepEqual(
    routes.trim().split('\n').map((l) => l.split(' ')[0]),
    [network.cidr],
  );
  const routes6 = execFileSync('ip', ['-n', network.namespace, '-6', 'route', 'show'], { encoding: 'utf8' });
  assert.doesNotMatch(routes6, /default/);
  assert.deepEqual(
    routes6.trim().split('\n').map((l) => l.split(' ')[0]).sort(),
    [network.cidr6, 'fe80::/64'].sort(),
    'the IPv6 /64 and link-local only',
  );
});

test('the network has an IPv6 ULA /64 too; a dual-stack pod serves on both its addresses', async () => {
  assert.deepEqual(network.families, ['IPv4', 'IPv6']);
  const range6 = parseCidr6(network.cidr6!);
  const at = (offset: bigint) => formatIpv6(range6.start + offset);
  assert.ok(network.cidr6!.endsWith('::/64') && range6.start >> 120n === 0xfdn && (range6.start & ((1n << 80n) - 1n)) === 0n, `${network.cidr6} is fdXX:XXXX:XXXX::/64`);
  assert.equal(network.hostIp6, at(1n));
  const hostAddresses = execFileSync('ip', ['-6', 'addr', 'show'], { encoding: 'utf8' });
  assert.ok(hostAddresses.includes(`${network.hostIp6}/64`), 'the root end of the veth holds <prefix>::1');
  const v4 = network.allocate();
  const v6 = network.allocate(undefined, 'IPv6');
  assert.equal(v6, at(0x10001n), 'IPv6 pod addresses start at <prefix>::1:1');
  const app = startContainerProcess({ network, env: { POD_NAME: 'dual', POD_IP: v4, POD_IPS: `${v4},${v6}`, PORT: '8080' } });
  const onInterface = (address: string) => execFileSync('ip', ['-n', network.namespace, '-6', 'addr', 'show'], { encoding: 'utf8' }).includes(`${address}/128`);
  try {
    await app.started;
    assert.equal((await get(v4, 8080)).body, 'dual\n');
    assert.equal((await get(v6, 8080)).body, 'dual\n', 'reached over IPv6 from the root namespace');
    assert.ok(onInterface(v6));
  } finally {
    app.signal('SIGKILL');
    await app.exit;
    network.release(v4);
    network.release(v6);
  }
  assert.ok(!onInterface(v6), 'a released IPv6 address is removed');
  // A chosen IPv6 address is taken in canonical form; addresses outside the /64 are refused.
  const expanded = (value: bigint) => Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0')).join(':');
  const chosen = expanded(range6.start + 0x70007n).toUpperCase();
  const taken = network.allocate(chosen);
  assert.equal(taken, at(0x70007n));
  assert.equal(network.holders(chosen), 1, 'any spelling names the same address');
  network.release(chosen);
  assert.ok(!onInterface(taken));
  assert.throws(() => network.allocate('2001:db8::1'), /pod IP 2001:db8::1 is outside the pod range fd/);
  assert.throws(() => network.allocate(network.hostIp6), /reserved/, 'the host end is never a pod IP');
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
  assert.notEqual(other.cidr6, network.cidr6, 'and its own IPv6 range');
  assert.ok(listNamespaces().includes(other.namespace));
  await other.destroy();
  assert.ok(!listNamespaces().includes(other.namespace));
});

test('a network created without IPv6 has no IPv6 range and says so when asked for one', async () => {
  const v4only = await createPodNetwork({ removeStale: false, ipv6: false });
  try {
    assert.deepEqual(v4only.families, ['IPv4']);
    assert.equal(v4only.cidr6, undefined);
    assert.throws(() => v4only.allocate(undefined, 'IPv6'), /the pod network has no IPv6 range: it was created with ipv6: false/);
    assert.throws(() => v4only.allocate('fd12::1'), /no IPv6 range/);
  } finally {
    await v4only.destroy();
  }
});

test('only namespaces of dead runs are treated as stale', () => {
  const dead = 'sluice-4194305-dead'; // above the largest possible pid_max
  const live = `sluice-${process.pid}-beef`;
  execFileSync('ip', ['netns', 'add', dead]);
  execFileSync('ip', ['netns', 'add', live]);
  try {
    // Other test files may leave dead runs' namespaces at the same moment: only ours is certain.
    const removed = removeStaleNamespaces();
    assert.ok(removed.includes(dead) && !removed.includes(live), `removed ${removed.join(', ')}`);
    const names = listNamespaces();
    assert.ok(!names.includes(dead));
    assert.ok(names.includes(live) && names.includes(network.namespace));
  } finally {
    execFileSync('ip', ['netns', 'del', live]);
  }
});
