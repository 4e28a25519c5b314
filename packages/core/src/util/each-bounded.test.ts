import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachBounded } from './each-bounded.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('eachBounded runs every item and never more than the limit at once', async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  await eachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await tick();
    seen.push(n);
    inFlight--;
  });
  assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(peak, 3);
});

test('eachBounded attempts the rest after a failure and throws the first failure in item order', async () => {
  const seen: number[] = [];
  await assert.rejects(
    eachBounded([1, 2, 3, 4], 2, async (n) => {
      await tick();
      seen.push(n);
      if (n === 3) throw new Error('three');
      if (n === 2) throw new Error('two');
    }),
    /two/,
  );
  assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4]);
});

test('eachBounded with no items resolves and a bad limit is refused', async () => {
  await eachBounded([], 4, async () => assert.fail('not called'));
  await assert.rejects(eachBounded([1], 0, async () => {}), /limit must be a whole number of at least 1, got 0/);
});
