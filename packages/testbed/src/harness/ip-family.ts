/** Address families as Kubernetes names them (`spec.ipFamilies`, EndpointSlice `addressType`). */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'IPv4' | 'IPv6';

export const IP_FAMILIES: readonly IpFamily[] = ['IPv4', 'IPv6'];

/** The family of an address literal; undefined when `text` is neither. */
export function familyOf(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 'IPv4';
  if (isIPv6(text) && !text.includes('%')) return 'IPv6';
  return undefined;
}
