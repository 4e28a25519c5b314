/**
 * A client network: a second network namespace standing for "the internet", with client
 * addresses from a private range, so tests can send load from several source addresses (to
 * check `spec.loadBalancerSourceRanges`, client IPs seen by pods, and the like).
 *
 * Layout (see linked-namespace.ts): a veth pair `sluice<c>` (root) to `eth0` (inside) carrying
 * `10.<c>.0.0/16` and, optionally, a ULA `<ula>::/64`. The root end holds `10.<c>.0.1` and
 * `<ula>::1`: **bind the LB listeners a test wants clients to reach there**; the host reaches
 * the clients over the same link, no forwarding involved. Listeners bound to loopback are out of
 * reach (loopback never leaves its namespace). Client addresses are /32 and /128 extras on
 * `eth0` (`10.<c>.1.1`, `<ula>::1:1` and up), so one program inside can pick its source per
 * connection with `localAddress`. With `podNetwork`, clients reach pod IPs too, over a link of
 * their own (see pod-link.ts). Nothing else is routed: no default route.
 */
import { AddressPool } from './address-pool.ts';
import { in64 } from './host-ranges.ts';
import { ip } from './ip-command.ts';
import { familyOf, type IpFamily } from './ip-family.ts';
import { formatIpv6, parseIpv6 } from './ipv6.ts';
import { createLinkedNamespace, extraAddressArgs, INSIDE_LINK } from './linked-namespace.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { execInNamespace, type NetnsRunner } from './netns-exec.ts';
import { linkToPods, type PodNetworkRanges } from './pod-link.ts';

/** Options for {@link createClientNetwork}. */
export interface ClientNetworkOptions {
  /**
   * How many client addresses of each family to create at once (more with
   * {@link ClientNetwork.addAddress}).
   * @default 2
   */
  addresses?: number;
  /**
   * A pod network the clients should reach as well (IPv6 only when both networks have it).
   * @default undefined (clients reach only the host end)
   */
  podNetwork?: PodNetworkRanges;
  /**
   * Second octets tried, in order, for the client /16 `10.<octet>.0.0/16`; shared with pod
   * networks, so the two never take the same one.
   * @default 213..254, then 200..212
   */
  candidateOctets?: readonly number[];
  /**
   * Also give the network an IPv6 ULA /64 and IPv6 client addresses.
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

/** A namespace of client addresses joined to the host; see the module comment. */
export interface ClientNetwork extends NetnsRunner {
  /** The IPv4 client range, e.g. `10.214.0.0/16`. */
  readonly cidr: string;
  /** The root end of the veth (`10.<c>.0.1`): where to bind listeners the clients should reach. */
  readonly hostIp: string;
  /** The IPv6 client range; undefined without IPv6. */
  readonly cidr6: string | undefined;
  /** The root end of the veth in IPv6 (`<ula>::1`); undefined without IPv6. */
  readonly hostIp6: string | undefined;
  /** The root end's interface name (`sluice<c>`); it disappears with the network. */
  readonly hostLink: string;
  /** The families the network has client addresses of. */
  readonly families: readonly IpFamily[];
  /** The client addresses present, in the order added; only those of `family` when given. */
  addresses(family?: IpFamily): string[];
  /**
   * Adds a client address to the namespace's interface and returns it in canonical form: the
   * next free one of a family (`'IPv4'`, the default, or `'IPv6'`), or the address given.
   * Throws, naming the address, when it is outside the range of its family, reserved or
   * already present, and, naming the family, when the network has none of it.
   */
  addAddress(familyOrAddress?: IpFamily | string): string;
  /** Removes a client address; unknown addresses are ignored. */
  removeAddress(address: string): void;
  /** Kills whatever runs inside, deletes the namespace, its veth pairs and their routes. Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** An address in the form `ip` prints and the pools return (IPv6 per RFC 5952). */
function canonical(address: string): string {
  return familyOf(address) === 'IPv6' ? formatIpv6(parseIpv6(address)) : address;
}

/** Creates the client network; with `podNetwork`, also links it to that network's namespace. */
export async function createClientNetwork(options: ClientNetworkOptions = {}): Promise<ClientNetwork> {
  const count = options.addresses ?? 2;
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`addresses ${count} is invalid: allowed is a whole number of 0 or more client addresses per family.`);
  }
  const link = createLinkedNamespace({
    purpose: 'client network',
    candidateOctets: options.candidateOctets,
    ipv6: options.ipv6 ?? true,
    removeStale: options.removeStale ?? true,
    log: options.log ?? silentLogger,
  });
  const { namespace, cidr6 } = link;
  const prefix = `10.${link.octet}`;
  // .0.1 host end, .0.2 inside end, .0.3 and .0.4 the ends of the pod link; ::1 and ::2 alike.
  const pools: Partial<Record<IpFamily, AddressPool>> = {
    IPv4: new AddressPool(link.cidr, { label: 'client', firstOffset: 257, reserved: [1, 2, 3, 4].map((i) => `${prefix}.0.${i}`) }),
    ...(cidr6 ? { IPv6: new AddressPool(cidr6, { label: 'client', firstOffset: 0x10001, reserved: [in64(cidr6, 1n), in64(cidr6, 2n)] }) } : {}),
  };
  const present: string[] = [];
  let destroyed: Promise<void> | undefined;

  const network: ClientNetwork = {
    namespace,
    cidr: link.cidr,
    hostIp: link.hostIp,
    cidr6,
    hostIp6: link.hostIp6,
    hostLink: link.hostLink,
    families: cidr6 ? ['IPv4', 'IPv6'] : ['IPv4'],
    addresses: (family) => present.filter((a) => family === undefined || familyOf(a) === family),
    addAddress(familyOrAddress = 'IPv4') {
      const chosen = familyOrAddress !== 'IPv4' && familyOrAddress !== 'IPv6';
      const family = chosen ? (familyOf(familyOrAddress) ?? 'IPv4') : familyOrAddress;
      const pool = pools[family];
      if (!pool) throw new Error(`the client network has no ${family} range: it was created with ipv6: false`);
      const taken = chosen ? pool.take(familyOrAddress) : { address: pool.next(), first: true };
      if (!taken.first) {
        pool.give(taken.address);
        throw new Error(`client IP ${taken.address} is already present in the client network`);
      }
      try {
        ip(['-n', namespace, 'addr', 'add', ...extraAddressArgs(taken.address, INSIDE_LINK, true)]);
      } catch (error) {
        pool.give(taken.address);
        throw error;
      }
      present.push(taken.address);
      return taken.address;
    },
    removeAddress(address) {
      const index = familyOf(address) ? present.indexOf(canonical(address)) : -1;
      if (index < 0) return;
      const [removed] = present.splice(index, 1);
      pools[familyOf(removed!)!]?.give(removed!);
      try {
        ip(['-n', namespace, 'addr', 'del', ...extraAddressArgs(removed!, INSIDE_LINK, false)]);
      } catch {
        // the namespace is already gone
      }
    },
    exec: (argv, execOptions) => execInNamespace(namespace, argv, execOptions),
    destroy() {
      destroyed ??= (async () => {
        link.remove();
        for (const pool of Object.values(pools)) pool.clear();
        present.length = 0;
      })();
      return destroyed;
    },
    [Symbol.asyncDispose]: () => network.destroy(),
  };

  try {
    if (options.podNetwork) linkToPods(link, options.podNetwork);
    for (const family of network.families) {
      for (let i = 0; i < count; i++) network.addAddress(family);
    }
  } catch (error) {
    await network.destroy();
    throw error;
  }
  return network;
}
