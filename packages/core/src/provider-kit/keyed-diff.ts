/**
 * Desired versus actual, matched by key: plain set algebra over matched, unmatched-desired and
 * unmatched-actual, the way every provider converges registrations (target-group targets, pool
 * addresses, NEG endpoints). Pure.
 */

/**
 * How items are keyed and compared. A key function may return undefined for an item that
 * cannot be keyed (an actual registration the vendor reported without an address): it is
 * left out of the diff.
 */
export type DiffOptions<D, A> = {
  /**
   * True when `actual` already is as `desired` wants it; false puts the pair in `toUpdate`.
   * @default presence is all that matters: every matched pair is unchanged
   */
  readonly same?: (desired: D, actual: A) => boolean;
} & (
  | { readonly key: (item: D | A) => string | undefined }
  | { readonly desiredKey: (item: D) => string | undefined; readonly actualKey: (item: A) => string | undefined }
);

/** One desired item and the actual item it matched. */
export interface DiffPair<D, A> {
  readonly key: string;
  readonly desired: D;
  readonly actual: A;
}

export interface KeyedDiff<D, A> {
  /** Desired, with no actual item of its key; in desired order. */
  readonly toAdd: readonly D[];
  /** Actual, with no desired item of its key (every copy, when the vendor holds several); in actual order. */
  readonly toRemove: readonly A[];
  /**
   * Extra actual copies of a key that matched a desired item (the first copy is the match).
   * Apart, because removing one by its key would remove the match too; the vendor holding
   * them means actual is not exactly desired.
   */
  readonly duplicates: readonly A[];
  /** Matched, but not {@link DiffOptions.same}; in desired order. */
  readonly toUpdate: readonly DiffPair<D, A>[];
  /** Matched and the same; in desired order. */
  readonly unchanged: readonly DiffPair<D, A>[];
}

/**
 * Diffs `desired` against `actual` by key. Desired keys are unique: a later desired item
 * replaces an earlier one of the same key, in the earlier one's place (the desired state is a
 * set). An actual key may occur more than once (a vendor may hold duplicates): for a desired
 * key the first copy is matched and the others are `duplicates`; for any other key every copy
 * is to remove.
 */
export function diffByKey<D, A = D>(desired: Iterable<D>, actual: Iterable<A>, options: DiffOptions<D, A>): KeyedDiff<D, A> {
  const desiredKey = 'key' in options ? options.key : options.desiredKey;
  const actualKey = 'key' in options ? options.key : options.actualKey;
  const wanted = new Map<string, D>();
  for (const d of desired) {
    const k = desiredKey(d);
    if (k !== undefined) wanted.set(k, d);
  }
  const have = new Map<string, A>();
  const toRemove: A[] = [];
  const duplicates: A[] = [];
  for (const a of actual) {
    const k = actualKey(a);
    if (k === undefined) continue;
    if (!wanted.has(k)) toRemove.push(a);
    else if (have.has(k)) duplicates.push(a);
    else have.set(k, a);
  }
  const toAdd: D[] = [];
  const toUpdate: DiffPair<D, A>[] = [];
  const unchanged: DiffPair<D, A>[] = [];
  for (const [key, d] of wanted) {
    const a = have.get(key);
    if (a === undefined && !have.has(key)) toAdd.push(d);
    else if (options.same === undefined || options.same(d, a as A)) unchanged.push({ key, desired: d, actual: a as A });
    else toUpdate.push({ key, desired: d, actual: a as A });
  }
  return { toAdd, toRemove, duplicates, toUpdate, unchanged };
}

/** True when actual is exactly desired: nothing to add, remove or update, and no duplicate. */
export function inSync(diff: KeyedDiff<unknown, unknown>): boolean {
  return diff.toAdd.length === 0 && diff.toRemove.length === 0 && diff.toUpdate.length === 0 && diff.duplicates.length === 0;
}
