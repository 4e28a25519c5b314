/**
 * Choosing private ranges the machine does not use yet: an IPv4 /16 out of `10.0.0.0/8`
 * and a random IPv6 ULA /64 (RFC 4193), each overlapping no route and no address on the
 * machine, so nothing the harness adds can shadow a real network.
 */
import { randomBytes } from 'node:crypto';
import { ip } from './ip-command.ts';
import { type Ipv4Range, parseCidr } from './ipv4.ts';
import { formatIpv6, type Ipv6Range, parseCidr6, ranges6Overlap } from './ipv6.ts';

/** Second octets tried for a `10.<octet>.0.0/16`: 213..254, then 200..212. */
export const DEFAULT_OCTETS: readonly number[] = [
  ...Array.from({ length: 42 }, (_, i) => 213 + i),
  ...Array.from({ length: 13 }, (_, i) => 200 + i),
];

interface LinkAddresses {
  addr_info?: { local?: string; prefixlen?: number }[];
}

/** Every IPv4 range the machine already routes or owns (the default route aside). */
export function usedRanges(): Ipv4Range[] {
  const ranges: Ipv4Range[] = [];
  const routes = JSON.parse(ip(['-j', '-4', 'route', 'show', 'table', 'all']) || '[]') as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dst === '0.0.0.0/0') continue;
    ranges.push(parseCidr(r.dst));
  }
  for (const link of JSON.parse(ip(['-j', '-4', 'addr', 'show']) || '[]') as LinkAddresses[]) {
    for (const a of link.addr_info ?? []) {
      if (a.local) ranges.push(parseCidr(`${a.local}/${a.prefixlen ?? 32}`));
    }
  }
  return ranges;
}

/** Every IPv6 range the machine already routes or owns (default and multicast routes aside). */
export function usedRanges6(): Ipv6Range[] {
  const ranges: Ipv6Range[] = [];
  const routes = JSON.parse(ip(['-j', '-6', 'route', 'show', 'table', 'all']) || '[]') as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.dst === '::/0' || !r.dst.includes(':')) continue;
    ranges.push(parseCidr6(r.dst));
  }
  for (const link of JSON.parse(ip(['-j', '-6', 'addr', 'show']) || '[]') as LinkAddresses[]) {
    for (const a of link.addr_info ?? []) {
      if (a.local) ranges.push(parseCidr6(`${a.local}/${a.prefixlen ?? 128}`));
    }
  }
  return ranges;
}

/**
 * A random ULA /64 (`fd` + 40 random bits + a zero subnet ID) that overlaps nothing the
 * machine has. `purpose` names the network in the error thrown when 16 tries all collide.
 */
export function pickUla64(purpose: string): string {
  const used = usedRanges6();
  for (let attempt = 0; attempt < 16; attempt++) {
    const globalId = BigInt(`0x${randomBytes(5).toString('hex')}`);
    const start = (0xfdn << 120n) | (globalId << 80n);
    const range = { start, size: 1n << 64n };
    if (used.some((u) => ranges6Overlap(u, range))) continue;
    return `${formatIpv6(start)}/64`;
  }
  throw new Error(`no free IPv6 ULA /64 for the ${purpose}: 16 random ones all overlap a route or an address`);
}

/** The address `offset` past the start of an IPv6 range, in canonical form (`<prefix>::1`). */
export function in64(cidr6: string, offset: bigint): string {
  return formatIpv6(parseCidr6(cidr6).start + offset);
}
