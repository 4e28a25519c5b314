/**
 * A veth pair of its own between the client network's namespace and a pod network's, so that
 * clients reach pod IPs without the root namespace forwarding anything: the machine's
 * forwarding settings stay untouched (IPv6 forwarding cannot be enabled per interface on most
 * kernels, and enabling it globally changes how the whole machine treats router adverts).
 *
 * Addresses and routes, for the client /16 `10.<c>.0.0/16`:
 * - client side `pods`: `10.<c>.0.3/32` and `fe80::1`; routes to the pod /16 and /64 via the
 *   pod side;
 * - pod side `client<c>`: `10.<c>.0.4/32` and `fe80::2`; routes to the client /16 and /64 via
 *   the client side, so pods answer clients straight back over this link.
 * The next hops are addresses of the link itself, so neighbour discovery works whatever the
 * namespaces' `arp_ignore` says: in IPv4 with `onlink` (the next hop also lies in the client
 * /16, which the client side routes over `eth0`); in IPv6 link-local ones, since the kernel
 * refuses an `onlink` next hop that another device's route covers. Deleting the client
 * namespace deletes the pair, and with it the pod side's addresses and routes.
 */
import { ip } from './ip-command.ts';
import type { LinkedNamespace } from './linked-namespace.ts';
import type { PodNetwork } from './pod-network.ts';

/** The client side's name for the link. */
export const CLIENT_POD_LINK = 'pods';

/** The link-local IPv6 next hops of the two sides (link-scoped: every pod link may use the same). */
const CLIENT_SIDE_LL = 'fe80::1';
const POD_SIDE_LL = 'fe80::2';

/** What the link needs to know of the pod network. */
export type PodNetworkRanges = Pick<PodNetwork, 'namespace' | 'cidr' | 'cidr6'>;

/** The pod side's name for the link of the client network whose /16 has second octet `octet`. */
export function podSideLinkName(octet: number): string {
  return `client${octet}`;
}

/**
 * Creates the link and its routes. IPv6 is routed only when both networks have it. Throws on
 * failure, leaving what was created for the caller's removal of the client namespace.
 */
export function linkToPods(client: LinkedNamespace, pods: PodNetworkRanges): void {
  const [c, p] = [client.namespace, pods.namespace];
  const podSide = podSideLinkName(client.octet);
  const prefix = `10.${client.octet}`;
  ip(['-n', c, 'link', 'add', CLIENT_POD_LINK, 'type', 'veth', 'peer', 'name', podSide, 'netns', p]);
  ip(['-n', c, 'addr', 'add', `${prefix}.0.3/32`, 'dev', CLIENT_POD_LINK]);
  ip(['-n', p, 'addr', 'add', `${prefix}.0.4/32`, 'dev', podSide]);
  const six = client.cidr6 !== undefined && pods.cidr6 !== undefined;
  if (six) {
    ip(['-n', c, 'addr', 'add', `${CLIENT_SIDE_LL}/64`, 'dev', CLIENT_POD_LINK, 'nodad']);
    ip(['-n', p, 'addr', 'add', `${POD_SIDE_LL}/64`, 'dev', podSide, 'nodad']);
  }
  ip(['-n', c, 'link', 'set', CLIENT_POD_LINK, 'up']);
  ip(['-n', p, 'link', 'set', podSide, 'up']);
  ip(['-n', c, 'route', 'add', pods.cidr, 'via', `${prefix}.0.4`, 'dev', CLIENT_POD_LINK, 'onlink']);
  ip(['-n', p, 'route', 'add', client.cidr, 'via', `${prefix}.0.3`, 'dev', podSide, 'onlink']);
  if (six) {
    ip(['-n', c, 'route', 'add', pods.cidr6!, 'via', POD_SIDE_LL, 'dev', CLIENT_POD_LINK]);
    ip(['-n', p, 'route', 'add', client.cidr6!, 'via', CLIENT_SIDE_LL, 'dev', podSide]);
  }
}
