/**
 * eachBounded(items, limit, fn): runs fn over every item with at most `limit` calls in flight.
 * Every item is attempted even after one fails (the writes are independent of each other),
 * then the first failure, in item order, is thrown.
 */
export async function eachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`);
  const failures = new Map<number, unknown>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T);
      } catch (error) {
        failures.set(index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
}
