/**
 * IP addresses and CIDR ranges as numbers, for the `backendCidrs` option (which backend
 * addresses the embedded load balancer may proxy to) and a Service's source ranges (which
 * clients it accepts). Pure.
 *
 * An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is treated as the IPv4 address it
 * carries: a socket connect to it reaches that IPv4 host, so an IPv4 range must decide it
 * (otherwise writing the mapped form would slip past an IPv4-only list).
 */
import { isIP } from 'node:net';

export type AddressFamily = 4 | 6;

/** An address as a number of 32 (IPv4) or 128 (IPv6) bits. */
export interface Address {
  readonly family: AddressFamily;
  readonly value: bigint;
}

/** A CIDR range; `text` is its canonical form (lower case, `::` compressed). */
export interface AddressRange {
  readonly text: string;
  readonly family: AddressFamily;
  readonly base: bigint;
  readonly prefix: number;
}

const bits = { 4: 32, 6: 128 } as const;

/**
 * The address `text` denotes, IPv4-mapped IPv6 folded to IPv4; undefined when `text` is
 * not an IPv4 or IPv6 address (a zone suffix such as `%eth0` is not accepted either).
 */
export function parseAddress(text: string): Address | undefined {
  if (text.includes('%')) return undefined;
  const family = isIP(text);
  if (family === 4) return { family: 4, value: ipv4Value(text) };
  if (family !== 6) return undefined;
  const value = ipv6Value(text);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffff_ffffn };
  return { family: 6, value };
}

export interface ParseRangeOptions {
  /**
   * What address bits set past the prefix mean: a mistake to report (`reject`, for options
   * Sluice defines), or nothing (`clear`: `10.1.2.3/8` is `10.0.0.0/8`, as Kubernetes and
   * Go's `net.ParseCIDR` read `spec.loadBalancerSourceRanges`).
   * @default 'reject'
   */
  readonly hostBits?: 'reject' | 'clear';
}

/** A range, or why `text` is not one (a clause without a final period). */
export function parseRange(text: string, options: ParseRangeOptions = {}): { readonly range: AddressRange } | { readonly problem: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { problem: 'it has no /prefix length' };
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = addressText.includes('%') ? 0 : isIP(addressText);
  if (family === 0) return { problem: `"${addressText}" is not an IPv4 or IPv6 address` };
  const width = bits[family as AddressFamily];
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix <= width)) return { problem: `the prefix length "${prefixText}" is not a whole number from 0 to ${width}` };
  const value = family === 4 ? ipv4Value(addressText) : ipv6Value(addressText);
  const base = value & mask(family as AddressFamily, prefix);
  const canonical = `${formatAddress({ family: family as AddressFamily, value: base })}/${prefix}`;
  if (base !== value && options.hostBits !== 'clear') return { problem: `it has address bits set past /${prefix} (did you mean ${canonical}?)` };
  return { range: { text: canonical, family: family as AddressFamily, base, prefix } };
}

export function rangeContains(range: AddressRange, address: Address): boolean {
  return range.family === address.family && (address.value & mask(range.family, range.prefix)) === range.base;
}

/**
 * Why no load balancer should send traffic to `address` whatever the configuration, as a
 * noun phrase; undefined for a unicast address. The unspecified address means "this host"
 * to a connect, multicast and broadcast are not one host.
 */
export function nonUnicastKind(address: Address): string | undefined {
  if (address.value === 0n) return 'the unspecified address';
  if (address.family === 4) {
    if (address.value === 0xffff_ffffn) return 'the broadcast address';
    if (address.value >> 28n === 0xen) return 'a multicast address';
    return undefined;
  }
  if (address.value >> 120n === 0xffn) return 'a multicast address';
  return undefined;
}

/** The conventional text of an address: dotted IPv4, or IPv6 with the longest zero run as `::`. */
export function formatAddress(address: Address): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed (RFC 5952)
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
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** `ip:port`, with an IPv6 address in brackets. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function mask(family: AddressFamily, prefix: number): bigint {
  const width = BigInt(bits[family]);
  const all = (1n << width) - 1n;
  return (all >> BigInt(prefix)) ^ all;
}

/** `text` must already be a valid IPv4 address. */
function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** `text` must already be a valid IPv6 address without a zone. */
function ipv6Value(text: string): bigint {
  const groups = (part: string): bigint[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [BigInt(Number.parseInt(g, 16))];
          const v4 = ipv4Value(g);
          return [v4 >> 16n, v4 & 0xffffn];
        });
  const gap = text.indexOf('::');
  const all =
    gap < 0
      ? groups(text)
      : (() => {
          const head = groups(text.slice(0, gap));
          const tail = groups(text.slice(gap + 2));
          return [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
        })();
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}
