/**
 * Smooth weighted round-robin, the selection nginx uses for weighted upstreams.
 *
 * Every pick adds each candidate's weight to its running `currentWeight`, chooses the
 * candidate with the largest running value (the first one on a tie) and subtracts the
 * total weight from the winner. Over any window of `sum(weights)` consecutive picks over
 * an unchanged candidate list, each candidate is chosen exactly `weight` times, and the
 * picks of a heavy candidate are spread out instead of bunched (weights 5,1,1 give
 * a a b a c a a, not a a a a a b c).
 */

/** A candidate; the algorithm's only state is the `currentWeight` each one carries. */
export interface WeightedPeer {
  readonly weight: number;
  currentWeight: number;
}

/**
 * Picks the next peer and updates the `currentWeight` of the peers it considered.
 * Peers with a weight of 0 or less are never chosen and their state is left untouched.
 * Returns undefined when no peer has a positive weight.
 */
export function pickSmoothWeighted<P extends WeightedPeer>(peers: Iterable<P>): P | undefined {
  let best: P | undefined;
  let total = 0;
  for (const peer of peers) {
    if (!(peer.weight > 0)) continue;
    peer.currentWeight += peer.weight;
    total += peer.weight;
    if (best === undefined || peer.currentWeight > best.currentWeight) best = peer;
  }
  if (best !== undefined) best.currentWeight -= total;
  return best;
}
