/**
 * Source addresses of a load: which local address each new connection comes from. Pure.
 *
 * Picking is smooth weighted round robin (nginx's): every pick adds each source's weight to its
 * running score and takes the highest, which then pays back the total. Weights 2:1 give
 * a, b, a, a, b, a... rather than a, a, b: interleaved, deterministic, exact over each cycle.
 */
import { isIP } from 'node:net';

/** A source address with its share of the connections. */
export interface LoadSource {
  /** A local address to send from (`localAddress`), IPv4 or IPv6. */
  readonly address: string;
  /**
   * Its share of new connections relative to the other sources; 0 never picks it.
   * @default 1
   */
  readonly weight?: number;
}

/** The key of the results when no source is given: the kernel chooses the source. */
export const DEFAULT_SOURCE = 'default';

/**
 * Checks the sources and gives each a weight. Throws a RangeError naming the source when an
 * address is not an IP literal, is listed twice, is of another family than an IP-literal
 * `host`, or has a weight that is not a finite number of 0 or more; and when every weight is 0.
 */
export function normaliseSources(sources: readonly (string | LoadSource)[], host: string): Required<LoadSource>[] {
  const result = sources.map((s) => (typeof s === 'string' ? { address: s, weight: 1 } : { address: s.address, weight: s.weight ?? 1 }));
  const seen = new Set<string>();
  for (const { address, weight } of result) {
    const family = isIP(address);
    if (family === 0) throw new RangeError(`source ${JSON.stringify(address)} is invalid: allowed is an IPv4 or IPv6 address.`);
    if (seen.has(address)) throw new RangeError(`source ${address} is listed twice: each source address may appear once.`);
    seen.add(address);
    const hostFamily = isIP(host);
    if (hostFamily !== 0 && hostFamily !== family) {
      throw new RangeError(`source ${address} is IPv${family} but host ${host} is IPv${hostFamily}: every source must be of the host's family.`);
    }
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError(`weight ${weight} of source ${address} is invalid: allowed is a finite number of 0 or more.`);
  }
  if (result.length > 0 && result.every((s) => s.weight === 0)) throw new RangeError('every source has weight 0: at least one needs a weight above 0.');
  return result;
}

/**
 * A function returning the next source address, or undefined on every call when there are no
 * sources (the kernel then chooses).
 */
export function sourcePicker(sources: readonly Required<LoadSource>[]): () => string | undefined {
  if (sources.length === 0) return () => undefined;
  const total = sources.reduce((sum, s) => sum + s.weight, 0);
  const scores = sources.map(() => 0);
  return () => {
    let best = 0;
    for (const [i, s] of sources.entries()) {
      scores[i]! += s.weight;
      if (scores[i]! > scores[best]!) best = i;
    }
    scores[best]! -= total;
    return sources[best]!.address;
  };
}
