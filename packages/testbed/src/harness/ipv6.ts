/** Small IPv6 helpers for the pod network: addresses as unsigned 128-bit bigints. */
import { isIPv6 } from 'node:net';

/** Parses an IPv6 address without a zone (`fd12::1`, `::ffff:10.0.0.1`). */
export function parseIpv6(text: string): bigint {
  if (!isIPv6(text) || text.includes('%')) throw new Error(`${JSON.stringify(text)} is not an IPv6 address`);
  let body = text;
  // A trailing dotted quad stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    body = `${body.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array.from({ length: zeros }, () => '0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** The canonical text of an address (RFC 5952): lower case, the longest run of two or more zero groups as `::`. */
export function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** An IPv6 CIDR as its first address and size. */
export interface Ipv6Range {
  start: bigint;
  size: bigint;
}

/** Parses `addr/len` (a bare address counts as /128). */
export function parseCidr6(text: string): Ipv6Range {
  const [address, lengthText] = text.split('/');
  const length = lengthText === undefined ? 128 : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > 128) throw new Error(`${JSON.stringify(text)} is not an IPv6 CIDR`);
  const size = 1n << BigInt(128 - length);
  const value = parseIpv6(address!);
  return { start: value - (value % size), size };
}

export function ranges6Overlap(a: Ipv6Range, b: Ipv6Range): boolean {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}
