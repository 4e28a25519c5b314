/**
 * CIDR lists for `--local-backend-cidrs`: a pod range with a hole in it, so a test can place
 * one pod's IP where the provider refuses backends while every other pod stays allowed. Pure.
 */
import { formatIpv4, type Ipv4Range, parseCidr } from '../harness/ipv4.ts';

function toCidr(range: Ipv4Range): string {
  return `${formatIpv4(range.start)}/${32 - Math.log2(range.size)}`;
}

/**
 * The fewest CIDRs that cover `outer` except `hole`, in address order. A hole outside `outer`
 * leaves `[outer]`; a hole covering it leaves `[]`.
 */
export function cidrsExcluding(outer: string, hole: string): string[] {
  const out = parseCidr(outer);
  const gap = parseCidr(hole);
  const result: string[] = [];
  const visit = (range: Ipv4Range) => {
    const end = range.start + range.size;
    if (end <= gap.start || gap.start + gap.size <= range.start) {
      result.push(toCidr(range));
      return;
    }
    if (gap.start <= range.start && end <= gap.start + gap.size) return;
    const half = range.size / 2;
    visit({ start: range.start, size: half });
    visit({ start: range.start + half, size: half });
  };
  visit(out);
  return result;
}

/** Whether `address` lies in `cidr`. */
export function cidrContains(cidr: string, address: string): boolean {
  const range = parseCidr(cidr);
  const value = parseCidr(address).start;
  return value >= range.start && value < range.start + range.size;
}
