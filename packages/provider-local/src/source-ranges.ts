/**
 * The client source ranges of one Service: `spec.loadBalancerSourceRanges`, else the
 * `service.beta.kubernetes.io/load-balancer-source-ranges` annotation, as the core hands it
 * over in `ServiceSpecView.sourceRanges`, in the canonical form the data plane's listeners
 * enforce them in. Pure.
 *
 * Read the way Kubernetes reads the field: address bits past the prefix are cleared
 * (`10.1.2.3/8` is `10.0.0.0/8`), an IPv4 octet with leading zeros is decimal, and no ranges
 * (unset or an empty list) admit every client. A range written in the IPv4-mapped form
 * (`::ffff:10.0.0.0/104`) is the IPv4 range it denotes (`10.0.0.0/8`). The listener keeps
 * the families apart (an IPv4 client, also seen as `::ffff:a.b.c.d`, is judged by the IPv4
 * ranges only), as kube-proxy does.
 */
import { type ServiceSpecView, SOURCE_RANGES_ANNOTATION, TerminalError } from '@sluice/core';
import { type AddressRange, formatAddress, parseRange } from '@sluice/dataplane';

const FIELD = 'spec.loadBalancerSourceRanges';

/**
 * The canonical ranges of `service.sourceRanges`, without duplicates, in their order; empty
 * admits every client. Throws a TerminalError (reason `InvalidSourceRange`) naming the first
 * entry that is not a CIDR: the core refuses such a Service before calling the provider, so
 * this only guards direct callers, and it fails closed (nothing is changed).
 */
export function sourceRanges(service: Pick<ServiceSpecView, 'namespace' | 'name' | 'sourceRanges'>): string[] {
  const texts = service.sourceRanges ?? [];
  const ranges = texts.map((text, index) => {
    const parsed = parseRange(decimalOctets(text.trim()), { hostBits: 'clear' });
    if ('range' in parsed) return asIpv4IfMapped(parsed.range);
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} source range ${JSON.stringify(text)} (${FIELD}[${index}], or the annotation ${SOURCE_RANGES_ANNOTATION}) is invalid because ${parsed.problem}: allowed are IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32.`,
      { field: `${FIELD}[${index}]`, reason: 'InvalidSourceRange' },
    );
  });
  return [...new Set(ranges.map((range) => range.text))];
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

