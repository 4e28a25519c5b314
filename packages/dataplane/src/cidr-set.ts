/**
 * A list of IPv4 and IPv6 CIDRs and the question "is this socket address in it", for a
 * listener's client source ranges and the firewall's address matches. Pure.
 *
 * Read the way Kubernetes reads `spec.loadBalancerSourceRanges`: address bits past the
 * prefix are cleared (`10.1.2.3/8` is `10.0.0.0/8`). Families stay apart: an IPv4 client,
 * also when a dual-stack listener sees it IPv4-mapped (`::ffff:127.0.0.1`), is judged by the
 * IPv4 ranges only, so `::/0` admits no IPv4 client; a range written in the IPv4-mapped
 * form (`::ffff:10.0.0.0/104`) is the IPv4 range it denotes.
 */
import { type AddressRange, formatAddress, parseAddress, parseRange, rangeContains } from './address-range.ts';
import { InvalidSpecError } from './errors.ts';
import { invalid } from './validate.ts';

export interface CidrSet {
  /** The ranges in canonical text, without duplicates, in the order given. */
  readonly cidrs: readonly string[];
  /** Whether `address` (a socket address, possibly IPv4-mapped) is in one of the ranges; an unknown address is in none. */
  contains(address: string | undefined): boolean;
}

const ALLOWED = 'IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32';

/** Parses `value` (a list of CIDR strings) or throws an InvalidSpecError naming the first bad entry. */
export function parseCidrs(field: string, value: unknown): CidrSet {
  if (!Array.isArray(value)) throw invalid(field, value, `a list of ${ALLOWED}`);
  const ranges = value.map((text, index) => {
    const parsed = typeof text === 'string' ? parseRange(text.trim(), { hostBits: 'clear' }) : { problem: 'it is not a string' };
    if ('range' in parsed) return asIpv4IfMapped(parsed.range);
    throw new InvalidSpecError(`${field}[${index}] is ${JSON.stringify(text)}, which is invalid because ${parsed.problem}: allowed are ${ALLOWED}.`, {
      field: `${field}[${index}]`,
    });
  });
  const unique = [...new Map(ranges.map((range) => [range.text, range])).values()];
  return {
    cidrs: unique.map((range) => range.text),
    contains(address) {
      if (address === undefined) return false;
      const parsed = parseAddress(address);
      return parsed !== undefined && unique.some((range) => rangeContains(range, parsed));
    },
  };
}

/** An address in its canonical text, IPv4-mapped folded to IPv4 (`::ffff:127.0.0.1` -> `127.0.0.1`). */
export function canonicalAddress(address: string): string {
  const parsed = parseAddress(address);
  return parsed === undefined ? address : formatAddress(parsed);
}

/** A range inside `::ffff:0:0/96` as the IPv4 range it denotes; any other range unchanged. */
function asIpv4IfMapped(range: AddressRange): AddressRange {
  if (range.family !== 6 || range.prefix < 96 || range.base >> 32n !== 0xffffn) return range;
  const parsed = parseRange(`${formatAddress({ family: 4, value: range.base & 0xffff_ffffn })}/${range.prefix - 96}`);
  return 'range' in parsed ? parsed.range : range;
}
