/**
 * The client filter of one Service: `spec.loadBalancerSourceRanges`, else the
 * `service.beta.kubernetes.io/load-balancer-source-ranges` annotation, as the core hands it
 * over in `ServiceSpecView.sourceRanges`. Pure.
 *
 * Read the way Kubernetes reads the field: address bits past the prefix are cleared
 * (`10.1.2.3/8` is `10.0.0.0/8`), an IPv4 octet with leading zeros is decimal, and no ranges
 * (unset or an empty list) admit every client. Families stay apart, as kube-proxy keeps
 * them: an IPv4 client (also when the listener sees it as IPv4-mapped IPv6,
 * `::ffff:127.0.0.1`) is judged by the IPv4 ranges only, so `::/0` admits no IPv4 client; a
 * range written in the IPv4-mapped form (`::ffff:10.0.0.0/104`) is the IPv4 range it
 * denotes (`10.0.0.0/8`).
 */
import { type ServiceSpecView, SOURCE_RANGES_ANNOTATION, TerminalError } from '@sluice/core';
import { type AddressRange, formatAddress, parseAddress, parseRange, rangeContains } from './address-range.ts';

export interface SourceFilter {
  /** The ranges, canonical; empty admits every client. */
  readonly ranges: readonly AddressRange[];
  /** The ranges for log lines and comparison (`127.0.0.1/32,10.0.0.0/8`), or `any`. */
  readonly text: string;
  /**
   * Whether a connection from `remoteAddress` (a socket's `remoteAddress`) may be served.
   * An unknown address (the socket already closed) is admitted only when there are no ranges.
   */
  admits(remoteAddress: string | undefined): boolean;
}

/** The filter of a Service without source ranges. */
export const ADMIT_ALL: SourceFilter = { ranges: [], text: 'any', admits: () => true };

const FIELD = 'spec.loadBalancerSourceRanges';

/**
 * The filter for `service.sourceRanges`. Throws a TerminalError (reason `InvalidSourceRange`)
 * naming the first entry that is not a CIDR: the core refuses such a Service before calling
 * the provider, so this only guards direct callers, and it fails closed.
 */
export function sourceFilter(service: Pick<ServiceSpecView, 'namespace' | 'name' | 'sourceRanges'>): SourceFilter {
  const texts = service.sourceRanges ?? [];
  if (texts.length === 0) return ADMIT_ALL;
  const ranges = texts.map((text, index) => {
    const parsed = parseRange(decimalOctets(text.trim()), { hostBits: 'clear' });
    if ('range' in parsed) return asIpv4IfMapped(parsed.range);
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} source range ${JSON.stringify(text)} (${FIELD}[${index}], or the annotation ${SOURCE_RANGES_ANNOTATION}) is invalid because ${parsed.problem}: allowed are IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32.`,
      { field: `${FIELD}[${index}]`, reason: 'InvalidSourceRange' },
    );
  });
  const unique = [...new Map(ranges.map((range) => [range.text, range])).values()];
  return {
    ranges: unique,
    text: unique.map((range) => range.text).join(','),
    admits(remoteAddress) {
      if (remoteAddress === undefined) return false;
      const address = parseAddress(remoteAddress);
      return address !== undefined && unique.some((range) => rangeContains(range, address));
    },
  };
}

/** `010.0.0.0/8` as `10.0.0.0/8`: Kubernetes parses IPv4 octets with leading zeros as decimal. */
function decimalOctets(text: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(\/.*)?$/.exec(text);
  if (match === null) return text;
  return `${match.slice(1, 5).map((octet) => String(Number(octet))).join('.')}${match[5] ?? ''}`;
}

/** A range inside `::ffff:0:0/96` as the IPv4 range it denotes; any other range unchanged. */
function asIpv4IfMapped(range: AddressRange): AddressRange {
  if (range.family !== 6 || range.prefix < 96 || range.base >> 32n !== 0xffffn) return range;
  const parsed = parseRange(`${formatAddress({ family: 4, value: range.base & 0xffff_ffffn })}/${range.prefix - 96}`);
  return 'range' in parsed ? parsed.range : range;
}

