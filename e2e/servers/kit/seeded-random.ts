/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence on every
 * run and platform, so faults drawn "at a rate" hit the same requests each time a test runs.
 * Not for anything secret.
 */

/** Numbers in [0, 1), determined by `seed` (any 32-bit integer). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
