/**
 * Which addresses a simulated pod asks for: its families, primary first (the node's, or the
 * pod's own `sim.sluice.dev/ip-families`), and the address it chose for some of them
 * (`sim.sluice.dev/pod-ip`). Pure: the caller allocates.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { familyOf, IP_FAMILIES, type IpFamily } from './ip-family.ts';
import { POD_IP_ANNOTATION, POD_IP_FAMILIES_ANNOTATION } from './pod-annotations.ts';

/** One address per family, in the pod's order; `address` when the pod chose it. */
export type AddressRequest = readonly { readonly family: IpFamily; readonly address: string | undefined }[];

/**
 * The addresses a pod asks for. Throws one sentence naming the annotation and value when a
 * family is unknown, repeated or not in `served`, or a chosen address is not an address of one
 * of the pod's families (or names a family twice).
 */
export function podAddressRequest(metadata: V1ObjectMeta | undefined, nodeFamilies: readonly IpFamily[], served: readonly IpFamily[]): AddressRequest {
  const annotations = metadata?.annotations ?? {};
  const familiesText = annotations[POD_IP_FAMILIES_ANNOTATION];
  let families: readonly IpFamily[] = nodeFamilies;
  if (familiesText !== undefined) {
    const names = familiesText.split(',').map((s) => s.trim());
    const valid = names.length <= 2 && new Set(names).size === names.length && names.every((n): n is IpFamily => (IP_FAMILIES as readonly string[]).includes(n));
    if (!valid) {
      throw new Error(`annotation ${POD_IP_FAMILIES_ANNOTATION}=${JSON.stringify(familiesText)} is invalid: allowed are IPv4, IPv6, IPv4,IPv6 and IPv6,IPv4.`);
    }
    families = names as IpFamily[];
  }
  const unserved = families.filter((f) => !served.includes(f));
  if (unserved.length > 0) {
    throw new Error(`pod asks for ${unserved.join(' and ')} addresses, which the pod network does not have: it serves ${served.join(', ')}.`);
  }
  const chosen = new Map<IpFamily, string>();
  const chosenText = annotations[POD_IP_ANNOTATION];
  if (chosenText !== undefined) {
    for (const address of chosenText.split(',').map((s) => s.trim())) {
      const family = familyOf(address);
      if (!family || !families.includes(family) || chosen.has(family)) {
        throw new Error(
          `annotation ${POD_IP_ANNOTATION}=${JSON.stringify(chosenText)} is invalid: allowed is at most one address per family the pod has (${families.join(', ')}), comma-separated.`,
        );
      }
      chosen.set(family, address);
    }
  }
  return families.map((family) => ({ family, address: chosen.get(family) }));
}
