import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ClientNetwork, createClientNetwork } from './client-network.ts';
import { formatIpv6, parseCidr6 } from './ipv6.ts';
import { listNamespaces } from './netns-cleanup.ts';
import { podSideLinkName } from './pod-link.ts';
import { createPodNetwork, type PodNetwork } from './pod-network.ts';

const CLIENT_NETWORK_PATH = fileURLToPath(new URL('./client-network.ts', import.meta.url));

const run = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
/** Interfaces in the root namespace, or in `namespace`. */
const interfaces = (namespace?: string) => JSON.parse(run([...(namespace ? ['-n', namespace] : []), '-j', 'link', 'show'])) as { ifname: string; ifindex: number }[];
const links = (namespace?: string) => interfaces(namespace).map((l) => l.ifname);
/** Destinations of the main routing table of `namespace`. */
const routes = (namespace: string, family: '-4' | '-6') => run(['-n', namespace, family, 'route', 'show', 'table', 'main']).trim().split('\n').map((l) => l.split(' ')[0] ?? '');

/**
 * One HTTP GET from inside `network` (a node one-liner run there), from `source`; resolves with
 * the status line or the error code.
 */
async function getFrom(network: ClientNetwork, host: string, port: number, source: string): Promise<string> {
  const script = `
    const [host, port, localAddress] = process.argv.slice(1);
    const req = require('node:http').request({ host, port: Number(port), localAddress, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => console.log(res.statusCode + ' ' + body.trim()));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => console.log(e.code ?? e.message));
    req.end();`;
  const child = network.exec([process.execPath, '-e', script, host, String(port), source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  await once(child, 'close');
  return out.trim();
}

let pods: PodNetwork;
let clients: ClientNetwork;
before(async () => {
  pods = await createPodNetwork();
  clients = await createClientNetwork({ podNetwork: pods });
});
after(async () => {
  await clients?.destroy();
  await pods?.destroy();
});

test('the client network has its own /16 and /64, client addresses of both families, and routes to the host end and the pods only', () => {
  const prefix = clients.cidr.replace(/\.0\.0\/16$/, '');
  assert.match(clients.cidr, /^10\.\d+\.0\.0\/16$/);
  assert.notEqual(clients.cidr, pods.cidr, 'a range of its own');
  assert.equal(clients.hostIp, `${prefix}.0.1`);
  assert.equal(clients.hostLink, `sluice${prefix.split('.')[1]}`);
  assert.deepEqual(clients.families, ['IPv4', 'IPv6']);
  const at = (offset: bigint) => formatIpv6(parseCidr6(clients.cidr6!).start + offset);
  assert.equal(clients.hostIp6, at(1n));
  assert.deepEqual(clients.addresses(), [`${prefix}.1.1`, `${prefix}.1.2`, at(0x10001n), at(0x10002n)]);
  assert.deepEqual(clients.addresses('IPv6'), [at(0x10001n), at(0x10002n)]);
  const hostAddresses = run(['-j', 'addr', 'show', 'dev', clients.hostLink]);
  assert.ok(hostAddresses.includes(`"${clients.hostIp}"`) && hostAddresses.includes(`"${clients.hostIp6}"`), 'the host end holds .0.1 and ::1');
  assert.deepEqual(routes(clients.namespace, '-4').sort(), [clients.cidr, pods.cidr].sort(), 'no default route');
  assert.deepEqual(
    routes(clients.namespace, '-6').filter((r) => !r.startsWith('fe80') && !r.includes('::1:')).sort(),
    [clients.cidr6, pods.cidr6].sort(),
  );
  assert.ok(links(pods.namespace).includes(podSideLinkName(Number(prefix.split('.')[1]))), 'the pod side of the pod link');
  assert.ok(routes(pods.namespace, '-4').includes(clients.cidr), 'pods route answers to clients over that link');
  assert.ok(routes(pods.namespace, '-6').includes(clients.cidr6!));
});

test('a client picks its source per connection; the listener on the host end sees that address', async (t) => {
  const s = createServer((req, res) => res.end(`${req.socket.remoteAddress}\n`));
  await new Promise<void>((resolve) => s.listen(0, clients.hostIp, resolve));
  const s6 = createServer((req, res) => res.end(`${req.socket.remoteAddress}\n`));
  await new Promise<void>((resolve) => s6.listen(0, clients.hostIp6, resolve));
  t.after(() => {
    s.close();
    s6.close();
  });
  const port = (s.address() as AddressInfo).port;
  const port6 = (s6.address() as AddressInfo).port;
  for (const source of clients.addresses('IPv4')) assert.equal(await getFrom(clients, clients.hostIp, port, source), `200 ${source}`);
  for (const source of clients.addresses('IPv6')) assert.equal(await getFrom(clients, clients.hostIp6!, port6, source), `200 ${source}`);
  // Loopback stays in its namespace: the host's loopback listeners are out of reach.
  assert.equal(await getFrom(clients, '127.0.0.1', port, '127.0.0.1'), 'ECONNREFUSED');
});

test('client addresses can be added, chosen and removed', () => {
  const prefix = clients.cidr.replace(/\.0\.0\/16$/, '');
  const onInterface = (address: string) => run(['-n', clients.namespace, 'addr', 'show', 'dev', 'eth0']).includes(`${address}/`);
  const next = clients.addAddress();
  assert.equal(next, `${prefix}.1.3`);
  const chosen = clients.addAddress(`${prefix}.77.7`);
  assert.ok(onInterface(chosen) && onInterface(next));
  const range6 = parseCidr6(clients.cidr6!);
  const expanded = Array.from({ length: 8 }, (_, i) => (((range6.start + 0x50005n) >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0')).join(':');
  const chosen6 = clients.addAddress(expanded.toUpperCase());
  assert.equal(chosen6, formatIpv6(range6.start + 0x50005n), 'canonical form');
  assert.deepEqual(clients.addresses().slice(-3), [next, chosen, chosen6]);
  assert.throws(() => clients.addAddress(chosen), new RegExp(`client IP ${chosen.replaceAll('.', '\\.')} is already present`));
  assert.throws(() => clients.addAddress('192.0.2.9'), /client IP 192\.0\.2\.9 is outside the client range 10\.\d+\.0\.0\/16/);
  assert.throws(() => clients.addAddress(clients.hostIp), /reserved/, 'the host end is never a client');
  assert.throws(() => clients.addAddress(`${prefix}.0.3`), /reserved/, 'nor an end of the pod link');
  for (const address of [next, chosen, expanded]) clients.removeAddress(address);
  clients.removeAddress('192.0.2.9');
  assert.ok(!onInterface(next) && !onInterface(chosen) && !onInterface(chosen6));
  assert.equal(clients.addresses().length, 4);
  assert.equal(clients.addAddress(chosen), chosen, 'a removed address may be added again');
  clients.removeAddress(chosen);
});

test('destroy removes the namespace, the host link and the pod link; twice is fine', async () => {
  const other = await createClientNetwork({ removeStale: false, podNetwork: pods, addresses: 1 });
  const podSide = podSideLinkName(Number(other.cidr.split('.')[1]));
  assert.notEqual(other.cidr, clients.cidr);
  assert.ok(listNamespaces().includes(other.namespace) && links().includes(other.hostLink) && links(pods.namespace).includes(podSide));
  assert.equal(other.addresses().length, 2);
  await other.destroy();
  await other.destroy();
  assert.ok(!listNamespaces().includes(other.namespace), 'namespace');
  assert.ok(!links().includes(other.hostLink), 'host link');
  assert.ok(!links(pods.namespace).includes(podSide), 'pod side of the pod link');
  assert.ok(!routes(pods.namespace, '-4').includes(other.cidr), 'the pods route nothing to it any more');
});

test('a client network left by a killed run is removed by the next one', async () => {
  // A separate process creates a client network linked to our pod network and is SIGKILLed,
  // so none of its cleanup runs.
  const script = `
    const { createClientNetwork } = await import(${JSON.stringify(CLIENT_NETWORK_PATH)});
    const n = await createClientNetwork({ removeStale: false, podNetwork: JSON.parse(process.env.PODS) });
    console.log(JSON.stringify({ namespace: n.namespace, hostLink: n.hostLink, cidr: n.cidr }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '--disable-warning=ExperimentalWarning', '-e', script], {
    env: { PATH: process.env['PATH'], PODS: JSON.stringify({ namespace: pods.namespace, cidr: pods.cidr, cidr6: pods.cidr6 }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const stale = JSON.parse(line.toString()) as { namespace: string; hostLink: string; cidr: string };
  child.kill('SIGKILL');
  await once(child, 'exit');
  const podSide = podSideLinkName(Number(stale.cidr.split('.')[1]));
  assert.ok(listNamespaces().includes(stale.namespace) && links(pods.namespace).includes(podSide), 'left behind');
  // By index: the next network may well claim the freed octet and so the same link name.
  const staleIndex = interfaces().find((l) => l.ifname === stale.hostLink)?.ifindex;
  assert.ok(staleIndex !== undefined, 'its host link is left behind');
  const next = await createClientNetwork({ addresses: 0 });
  try {
    assert.ok(!listNamespaces().includes(stale.namespace), 'the stale namespace is gone');
    assert.ok(!interfaces().some((l) => l.ifindex === staleIndex), 'its host link too');
    assert.ok(!links(pods.namespace).includes(podSide), 'and its link into the live pod network');
    assert.deepEqual(next.addresses(), []);
  } finally {
    await next.destroy();
  }
});

test('a network without IPv6 has IPv4 clients only and says so when asked for IPv6; a bad count is refused', async () => {
  const v4only = await createClientNetwork({ removeStale: false, ipv6: false, podNetwork: pods, addresses: 1 });
  try {
    assert.deepEqual(v4only.families, ['IPv4']);
    assert.equal(v4only.cidr6, undefined);
    assert.equal(v4only.hostIp6, undefined);
    assert.equal(v4only.addresses().length, 1);
    assert.throws(() => v4only.addAddress('IPv6'), /the client network has no IPv6 range: it was created with ipv6: false/);
    assert.deepEqual(routes(v4only.namespace, '-4').sort(), [v4only.cidr, pods.cidr].sort());
    assert.ok(!routes(v4only.namespace, '-6').includes(pods.cidr6!), 'no IPv6 route to the pods');
  } finally {
    await v4only.destroy();
  }
  await assert.rejects(createClientNetwork({ addresses: 1.5 }), /addresses 1\.5 is invalid: allowed is a whole number of 0 or more/);
});
