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
import { AddressPool } from './address-pool.ts';
import { in64 } from './host-ranges.ts';
import { ip } from './ip-command.ts';
import { familyOf, type IpFamily } from './ip-family.ts';
import { createLinkedNamespace, extraAddressArgs, INSIDE_LINK } from './linked-namespace.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { execInNamespace, type NetnsExecOptions, type NetnsRunner } from './netns-exec.ts';

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
export type PodExecOptions = NetnsExecOptions;

/** A network namespace with a /16 of IPv4 (and a /64 of IPv6) pod addresses, reachable from the root namespace. */
export interface PodNetwork extends NetnsRunner {
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
  /** Kills whatever runs inside, deletes the namespace and the veth pair. Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates the namespace and veth pair (see linked-namespace.ts for how the range is claimed
 * and the addresses laid out); pod addresses are extras on the inside end.
 */
export async function createPodNetwork(options: PodNetworkOptions = {}): Promise<PodNetwork> {
  const link = createLinkedNamespace({
    purpose: 'pod network',
    candidateOctets: options.candidateOctets,
    ipv6: options.ipv6 ?? true,
    removeStale: options.removeStale ?? true,
    log: options.log ?? silentLogger,
  });
  const { namespace, cidr6, octet } = link;
  const prefix = `10.${octet}`;
  // x.x.0.1 is the host end, x.x.0.2 the namespace's own address carrying the /16 route.
  const pools: Partial<Record<IpFamily, AddressPool>> = {
    IPv4: new AddressPool(`${prefix}.0.0/16`, { firstOffset: 257, reserved: [`${prefix}.0.1`, `${prefix}.0.2`] }),
    ...(cidr6 ? { IPv6: new AddressPool(cidr6, { firstOffset: 0x10001, reserved: [in64(cidr6, 1n), in64(cidr6, 2n)] }) } : {}),
  };
  let destroyed: Promise<void> | undefined;

  const network: PodNetwork = {
    namespace,
    cidr: link.cidr,
    hostIp: link.hostIp,
    cidr6,
    hostIp6: link.hostIp6,
    families: cidr6 ? ['IPv4', 'IPv6'] : ['IPv4'],
    allocate(address, family = 'IPv4') {
      const wanted = address === undefined ? family : (familyOf(address) ?? 'IPv4');
      const pool = pools[wanted];
      if (!pool) throw new Error(`the pod network has no ${wanted} range: it was created with ipv6: false`);
      const taken = address === undefined ? { address: pool.next(), first: true } : pool.take(address);
      if (!taken.first) return taken.address;
      try {
        ip(['-n', namespace, 'addr', 'add', ...extraAddressArgs(taken.address, INSIDE_LINK, true)]);
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
        ip(['-n', namespace, 'addr', 'del', ...extraAddressArgs(address, INSIDE_LINK, false)]);
      } catch {
        // the namespace is already gone
      }
    },
    holders: (address) => pools[familyOf(address) ?? 'IPv4']?.holders(address) ?? 0,
    exec: (argv, execOptions) => execInNamespace(namespace, argv, execOptions),
    destroy() {
      destroyed ??= (async () => {
        link.remove();
        for (const pool of Object.values(pools)) pool.clear();
      })();
      return destroyed;
    },
    [Symbol.asyncDispose]: () => network.destroy(),
  };
  return network;
}
