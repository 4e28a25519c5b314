/**
 * A private pod network: one network namespace holding every pod IP, joined to the root
 * namespace by a veth pair. The API server refuses loopback addresses in EndpointSlices, so
 * pods need real addresses; these live only inside the namespace, and the namespace has no
 * default route, so nothing a pod does can reach beyond the root namespace's veth end.
 *
 * Dual-stack: besides the IPv4 /16 the same veth pair carries an IPv6 ULA /64 (RFC 4193,
 * `fdXX:XXXX:XXXX::/64` with a random global ID). The root end holds `<prefix>::1`, whose
 * on-link route reaches every pod address directly: no forwarding is involved.
 */
import { type ChildProcess, type StdioOptions, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { killOnExit, underParentDeathSignal } from './child-registry.ts';
import { AddressPool } from './address-pool.ts';
import { familyOf, type IpFamily } from './ip-family.ts';
import { parseCidr, rangesOverlap } from './ipv4.ts';
import { formatIpv6, parseCidr6, ranges6Overlap } from './ipv6.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { deleteNamespace, namespaceName, removeStaleNamespaces } from './netns-cleanup.ts';

/** Options for {@link createPodNetwork}. */
export interface PodNetworkOptions {
  /**
   * Second octets tried, in order, for the pod /16 `10.<octet>.0.0/16`. The first whose range
   * overlaps no route and no address on the machine, and that no concurrent run has claimed,
   * is used.
   * @default 213..254, then 200..212
   */
  candidateOctets?: readonly number[];
  /**
   * Also give the network an IPv6 ULA /64, a random `fdXX:XXXX:XXXX::/64` that overlaps no
   * route and no address on the machine.
   * @default true
   */
  ipv6?: boolean;
  /**
   * Remove namespaces of earlier runs whose creating process is dead.
   * @default true
   */
  removeStale?: boolean;
  /**
   * Where progress goes.
   * @default silentLogger
   */
  log?: HarnessLogger;
}

/** Options for {@link PodNetwork.exec}. */
export interface PodExecOptions {
  /**
   * The complete environment (nothing is inherited).
   * @default { PATH: process.env.PATH }
   */
  env?: NodeJS.ProcessEnv;
  /**
   * stdio of the child.
   * @default 'ignore'
   */
  stdio?: StdioOptions;
}

/** A network namespace with a /16 of IPv4 (and a /64 of IPv6) pod addresses, reachable from the root namespace. */
export interface PodNetwork {
  /** The network namespace name (`sluice-<pid>-<random>`). */
  readonly namespace: string;
  /** The IPv4 pod range, e.g. `10.213.0.0/16`. */
  readonly cidr: string;
  /** The root-namespace end of the veth (`10.x.0.1`), a fine node InternalIP. */
  readonly hostIp: string;
  /** The IPv6 pod range, e.g. `fd3c:91a2:7e04::/64`; undefined without IPv6. */
  readonly cidr6: string | undefined;
  /** The root-namespace end of the veth in IPv6 (`<prefix>::1`); undefined without IPv6. */
  readonly hostIp6: string | undefined;
  /** The families the network has pod addresses of: `['IPv4']` or `['IPv4', 'IPv6']`. */
  readonly families: readonly IpFamily[];
  /**
   * Without `address`: takes the next free pod IP of `family` (from `10.x.1.1` or
   * `<prefix>::1:1` upwards; released addresses are reused only after the range wraps). With
   * `address` (of either family; `family` is then ignored): takes that one, even if another
   * pod holds it (two pods then share it, as when a CNI hands a terminating pod's IP to a new
   * pod). Adds the address to the namespace's interface when it gets its first holder.
   * Returns the address in canonical form. Throws, naming the address, when it is outside the
   * range of its family or reserved, and, naming the family, when the network has none of it.
   */
  allocate(address?: string, family?: IpFamily): string;
  /**
   * Gives back one hold of an address from {@link allocate}; the address leaves the
   * interface only when its last holder gives it back, so a pod sharing it keeps serving.
   * Unknown addresses are ignored.
   */
  release(ip: string): void;
  /** How many pods hold `ip` (0 when none). */
  holders(ip: string): number;
  /**
   * Spawns `argv` inside the namespace. The child is killed with SIGKILL if this process dies;
   * its pid is the program's own, so signals reach it directly.
   */
  exec(argv: readonly string[], options?: PodExecOptions): ChildProcess;
  /** Kills whatever runs inside, deletes the namespace and the veth pair. Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_OCTETS = [...Array.from({ length: 42 }, (_, i) => 213 + i), ...Array.from({ length: 13 }, (_, i) => 200 + i)];
/** Name of the veth end inside the namespace. */
const POD_SIDE = 'eth0';

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every IPv4 range the machine already routes or owns (the default route aside). */
function usedRanges(): ReturnType<typeof parseCidr>[] {
  const ranges: ReturnType<typeof parseCidr>[] = [];
  const routes = JSON.parse(ip(['-j', '-4', 'route', 'show', 'table', 'all']) || '[]') as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dst === '0.0.0.0/0') continue;
    ranges.push(parseCidr(r.dst));
  }
  const links = JSON.parse(ip(['-j', '-4', 'addr', 'show']) || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  for (const link of links) {
    for (const a of link.addr_info ?? []) {
      if (a.local) ranges.push(parseCidr(`${a.local}/${a.prefixlen ?? 32}`));
    }
  }
  return ranges;
}

/** Every IPv6 range the machine already routes or owns (default and multicast routes aside). */
function usedRanges6(): ReturnType<typeof parseCidr6>[] {
  const ranges: ReturnType<typeof parseCidr6>[] = [];
  const routes = JSON.parse(ip(['-j', '-6', 'route', 'show', 'table', 'all']) || '[]') as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dst === '::/0' || !r.dst.includes(':')) continue;
    ranges.push(parseCidr6(r.dst));
  }
  const links = JSON.parse(ip(['-j', '-6', 'addr', 'show']) || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  for (const link of links) {
    for (const a of link.addr_info ?? []) {
      if (a.local) ranges.push(parseCidr6(`${a.local}/${a.prefixlen ?? 128}`));
    }
  }
  return ranges;
}

/** A random ULA /64 (`fd` + 40 random bits + a zero subnet ID) that overlaps nothing the machine has. */
function pickUla64(): string {
  const used = usedRanges6();
  for (let attempt = 0; attempt < 16; attempt++) {
    const globalId = BigInt(`0x${randomBytes(5).toString('hex')}`);
    const start = ((0xfdn << 120n) | (globalId << 80n)) as bigint;
    const range = { start, size: 1n << 64n };
    if (used.some((u) => ranges6Overlap(u, range))) continue;
    return `${formatIpv6(start)}/64`;
  }
  throw new Error('no free IPv6 ULA /64 for the pod network: 16 random ones all overlap a route or an address');
}

/** The address `offset` past the start of an IPv6 range, in canonical form (`<prefix>::1`). */
function in64(cidr6: string, offset: bigint): string {
  return formatIpv6(parseCidr6(cidr6).start + offset);
}

/**
 * Creates the namespace and veth pair. The root-side veth is named after the chosen octet
 * (`sluice<octet>`): interface names are unique, so creating it is an atomic claim of the
 * range against a run starting at the same moment, which gets EEXIST and moves on.
 */
export async function createPodNetwork(options: PodNetworkOptions = {}): Promise<PodNetwork> {
  const log = options.log ?? silentLogger;
  if (options.removeStale ?? true) {
    const removed = removeStaleNamespaces();
    if (removed.length > 0) log.info(`removed stale network namespaces: ${removed.join(', ')}`);
  }
  const namespace = namespaceName(randomBytes(3).toString('hex'));
  ip(['netns', 'add', namespace]);
  const cleanupOnExit = () => deleteNamespace(namespace);
  process.on('exit', cleanupOnExit);

  let octet: number | undefined;
  let hostLink = '';
  let cidr6: string | undefined;
  try {
    if (options.ipv6 ?? true) cidr6 = pickUla64();
    const used = usedRanges();
    for (const candidate of options.candidateOctets ?? DEFAULT_OCTETS) {
      const range = parseCidr(`10.${candidate}.0.0/16`);
      if (used.some((u) => rangesOverlap(u, range))) continue;
      hostLink = `sluice${candidate}`;
      try {
        ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', POD_SIDE, 'netns', namespace]);
      } catch (error) {
        if (/exists/i.test(String((error as { stderr?: string }).stderr))) continue;
        throw error;
      }
      octet = candidate;
      break;
    }
    if (octet === undefined) throw new Error('no free 10.x.0.0/16 for the pod network: every candidate overlaps a route, an address or another run');
    const prefix = `10.${octet}`;
    ip(['addr', 'add', `${prefix}.0.1/16`, 'dev', hostLink]);
    if (cidr6) {
      // nodad: duplicate address detection would leave each address unusable ("tentative")
      // for a second or more, and nothing else lives on this link.
      ip(['addr', 'add', `${in64(cidr6, 1n)}/64`, 'dev', hostLink, 'nodad']);
    }
    ip(['link', 'set', hostLink, 'up']);
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    // The primary address carries the /16 route back to the host end; pod IPs are /32 extras,
    // so removing one never takes the others (or the route) with it. Likewise in IPv6: ::2/64
    // carries the route, pod IPs are /128 extras.
    ip(['-n', namespace, 'addr', 'add', `${prefix}.0.2/16`, 'dev', POD_SIDE]);
    if (cidr6) ip(['-n', namespace, 'addr', 'add', `${in64(cidr6, 2n)}/64`, 'dev', POD_SIDE, 'nodad']);
    ip(['-n', namespace, 'link', 'set', POD_SIDE, 'up']);
    log.info(
      `pod network ${prefix}.0.0/16${cidr6 ? ` and ${cidr6}` : ''} in namespace ${namespace} (host end ${hostLink} ${prefix}.0.1${cidr6 ? ` ${in64(cidr6, 1n)}` : ''})`,
    );
  } catch (error) {
    deleteNamespace(namespace);
    process.removeListener('exit', cleanupOnExit);
    throw error;
  }

  const prefix = `10.${octet}`;
  // x.x.0.1 is the host end, x.x.0.2 the namespace's own address carrying the /16 route.
  const pools: Partial<Record<IpFamily, AddressPool>> = {
    IPv4: new AddressPool(`${prefix}.0.0/16`, { firstOffset: 257, reserved: [`${prefix}.0.1`, `${prefix}.0.2`] }),
    ...(cidr6 ? { IPv6: new AddressPool(cidr6, { firstOffset: 0x10001, reserved: [in64(cidr6, 1n), in64(cidr6, 2n)] }) } : {}),
  };
  /** `ip addr add|del` arguments of a pod address: a host route's worth (/32 or /128), IPv6 without DAD. */
  const podAddress = (address: string, adding: boolean) =>
    familyOf(address) === 'IPv6' ? [`${address}/128`, 'dev', POD_SIDE, ...(adding ? ['nodad'] : [])] : [`${address}/32`, 'dev', POD_SIDE];
  let destroyed: Promise<void> | undefined;

  const network: PodNetwork = {
    namespace,
    cidr: `${prefix}.0.0/16`,
    hostIp: `${prefix}.0.1`,
    cidr6,
    hostIp6: cidr6 ? in64(cidr6, 1n) : undefined,
    families: cidr6 ? ['IPv4', 'IPv6'] : ['IPv4'],
    allocate(address, family = 'IPv4') {
      const wanted = address === undefined ? family : (familyOf(address) ?? 'IPv4');
      const pool = pools[wanted];
      if (!pool) throw new Error(`the pod network has no ${wanted} range: it was created with ipv6: false`);
      const taken = address === undefined ? { address: pool.next(), first: true } : pool.take(address);
      if (!taken.first) return taken.address;
      try {
        ip(['-n', namespace, 'addr', 'add', ...podAddress(taken.address, true)]);
      } catch (error) {
        pool.give(taken.address);
        throw error;
      }
      return taken.address;
    },
    release(address) {
      const pool = pools[familyOf(address) ?? 'IPv4'];
      if (!pool?.give(address)) return;
      try {
        ip(['-n', namespace, 'addr', 'del', ...podAddress(address, false)]);
      } catch {
        // the namespace is already gone
      }
    },
    holders: (address) => pools[familyOf(address) ?? 'IPv4']?.holders(address) ?? 0,
    exec(argv, execOptions = {}) {
      const [command, ...args] = ['ip', 'netns', 'exec', namespace, ...underParentDeathSignal(argv)];
      const child = spawn(command!, args, {
        env: execOptions.env ?? { PATH: process.env['PATH'] },
        stdio: execOptions.stdio ?? 'ignore',
      });
      killOnExit(child);
      return child;
    },
    destroy() {
      destroyed ??= (async () => {
        deleteNamespace(namespace);
        try {
          ip(['link', 'del', hostLink]);
        } catch {
          // went away with the namespace, as expected
        }
        for (const pool of Object.values(pools)) pool.clear();
        process.removeListener('exit', cleanupOnExit);
      })();
      return destroyed;
    },
    [Symbol.asyncDispose]: () => network.destroy(),
  };
  return network;
}
