/** Small IPv4 helpers for the pod network: addresses as unsigned 32-bit numbers. */

export function parseIpv4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`${JSON.stringify(text)} is not an IPv4 address`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** A CIDR as its first address and size. */
export interface Ipv4Range {
  start: number;
  size: number;
}

/** Parses `a.b.c.d/len` (a bare address counts as /32). */
export function parseCidr(text: string): Ipv4Range {
  const [address, lengthText] = text.split('/');
  const length = lengthText === undefined ? 32 : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > 32) throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR`);
  const size = 2 ** (32 - length);
  const start = parseIpv4(address!) - (parseIpv4(address!) % size);
  return { start, size };
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}
