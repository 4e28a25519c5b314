/**
 * A network namespace joined to the root namespace by a veth pair, with a private IPv4 /16
 * (and optionally an IPv6 ULA /64) on that link: the base of the pod network and of the
 * client network.
 *
 * Addresses, for the /16 `10.<octet>.0.0/16` and the /64 `<ula>::/64`:
 * - `10.<octet>.0.1/16`, `<ula>::1/64`: the root end (`sluice<octet>`), whose on-link routes
 *   reach every address inside directly, no forwarding involved;
 * - `10.<octet>.0.2/16`, `<ula>::2/64`: the inside end (`eth0`), whose primary addresses carry
 *   the routes back; everything else the owner adds inside is a /32 or /128 extra, so removing
 *   one never takes the others (or the route) with it.
 *
 * The namespace has no default route: nothing inside can reach beyond the root end.
 */
import { randomBytes } from 'node:crypto';
import { familyOf } from './ip-family.ts';
import { DEFAULT_OCTETS, in64, pickUla64, usedRanges } from './host-ranges.ts';
import { ip, ipQuietly } from './ip-command.ts';
import { parseCidr, rangesOverlap } from './ipv4.ts';
import type { HarnessLogger } from './logger.ts';
import { deleteNamespace, namespaceName, removeStaleNamespaces } from './netns-cleanup.ts';

/** Name of the veth end inside the namespace. */
export const INSIDE_LINK = 'eth0';

/** Options for {@link createLinkedNamespace}. */
export interface LinkedNamespaceOptions {
  /** What the network is for, in log lines and errors ("pod network"). */
  purpose: string;
  /** Second octets tried, in order, for the /16. */
  candidateOctets: readonly number[] | undefined;
  /** Also put an IPv6 ULA /64 on the link. */
  ipv6: boolean;
  /** Remove namespaces of earlier runs whose creating process is dead first. */
  removeStale: boolean;
  log: HarnessLogger;
}

/** A namespace and its veth pair; see the module comment for the addresses. */
export interface LinkedNamespace {
  readonly namespace: string;
  /** The chosen second octet of the /16. */
  readonly octet: number;
  /** The root end of the veth pair, `sluice<octet>`. */
  readonly hostLink: string;
  /** `10.<octet>.0.0/16`. */
  readonly cidr: string;
  /** `10.<octet>.0.1`, the root end. */
  readonly hostIp: string;
  /** The IPv6 /64, or undefined without IPv6. */
  readonly cidr6: string | undefined;
  /** `<ula>::1`, the root end in IPv6, or undefined without IPv6. */
  readonly hostIp6: string | undefined;
  /** Deletes the namespace (killing what runs inside) and the veth pair. Idempotent. */
  remove(): void;
}

/**
 * Creates the namespace and veth pair. The root end is named after the chosen octet
 * (`sluice<octet>`): interface names are unique, so creating it is an atomic claim of the range
 * against any other network (of this run or a concurrent one) being created at the same moment,
 * which gets EEXIST and moves on to the next octet.
 *
 * Until {@link LinkedNamespace.remove} is called, the namespace is also deleted when this
 * process exits; if the process is SIGKILLed instead, the next run's stale sweep removes it.
 */
export function createLinkedNamespace(options: LinkedNamespaceOptions): LinkedNamespace {
  if (options.removeStale) {
    const removed = removeStaleNamespaces();
    if (removed.length > 0) options.log.info(`removed stale network namespaces: ${removed.join(', ')}`);
  }
  const namespace = namespaceName(randomBytes(3).toString('hex'));
  ip(['netns', 'add', namespace]);
  let hostLink = '';
  const remove = () => {
    deleteNamespace(namespace);
    // Normally gone with the namespace (a veth pair dies with either end).
    if (hostLink) ipQuietly(['link', 'del', hostLink]);
    process.removeListener('exit', remove);
  };
  process.on('exit', remove);

  try {
    const cidr6 = options.ipv6 ? pickUla64(options.purpose) : undefined;
    const octet = claimOctet(namespace, options);
    hostLink = `sluice${octet}`;
    const prefix = `10.${octet}`;
    ip(['addr', 'add', `${prefix}.0.1/16`, 'dev', hostLink]);
    // nodad: duplicate address detection would leave each address unusable ("tentative") for a
    // second or more, and nothing else lives on this link.
    if (cidr6) ip(['addr', 'add', `${in64(cidr6, 1n)}/64`, 'dev', hostLink, 'nodad']);
    ip(['link', 'set', hostLink, 'up']);
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    ip(['-n', namespace, 'addr', 'add', `${prefix}.0.2/16`, 'dev', INSIDE_LINK]);
    if (cidr6) ip(['-n', namespace, 'addr', 'add', `${in64(cidr6, 2n)}/64`, 'dev', INSIDE_LINK, 'nodad']);
    ip(['-n', namespace, 'link', 'set', INSIDE_LINK, 'up']);
    options.log.info(
      `${options.purpose} ${prefix}.0.0/16${cidr6 ? ` and ${cidr6}` : ''} in namespace ${namespace} (host end ${hostLink} ${prefix}.0.1${cidr6 ? ` ${in64(cidr6, 1n)}` : ''})`,
    );
    return {
      namespace,
      octet,
      hostLink,
      cidr: `${prefix}.0.0/16`,
      hostIp: `${prefix}.0.1`,
      cidr6,
      hostIp6: cidr6 ? in64(cidr6, 1n) : undefined,
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Claims the first candidate /16 that overlaps nothing, by creating its veth pair; returns its octet. */
function claimOctet(namespace: string, options: LinkedNamespaceOptions): number {
  const used = usedRanges();
  for (const candidate of options.candidateOctets ?? DEFAULT_OCTETS) {
    if (used.some((u) => rangesOverlap(u, parseCidr(`10.${candidate}.0.0/16`)))) continue;
    try {
      ip(['link', 'add', `sluice${candidate}`, 'type', 'veth', 'peer', 'name', INSIDE_LINK, 'netns', namespace]);
      return candidate;
    } catch (error) {
      if (/exists/i.test(String((error as { stderr?: string }).stderr))) continue;
      throw error;
    }
  }
  throw new Error(`no free 10.x.0.0/16 for the ${options.purpose}: every candidate overlaps a route, an address or another run`);
}

/**
 * `ip addr add|del` arguments for an extra address on `dev`: a host route's worth (/32 or
 * /128), IPv6 without duplicate address detection.
 */
export function extraAddressArgs(address: string, dev: string, adding: boolean): string[] {
  return familyOf(address) === 'IPv6' ? [`${address}/128`, 'dev', dev, ...(adding ? ['nodad'] : [])] : [`${address}/32`, 'dev', dev];
}
