import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunk, runBatches, throwFirstFailure } from './batches.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('chunk splits in order into batches of at most the size', () => {
  assert.deepEqual(chunk(range(450), 200).map((b) => b.length), [200, 200, 50]);
  assert.deepEqual(chunk(range(450), 200).flat(), range(450));
  assert.deepEqual(chunk([], 200), []);
  assert.deepEqual(chunk([1, 2, 3], 2), [[1, 2], [3]]);
  assert.throws(() => chunk([1], 0), /batch size must be a whole number of at least 1, got 0/);
});

test('batches run in order, never more than the concurrency at once', async () => {
  let inFlight = 0;
  let peak = 0;
  const started: number[] = [];
  const result = await runBatches(range(10), { size: 2, concurrency: 3 }, async (batch, index) => {
    started.push(index);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await tick();
    inFlight--;
    assert.equal(batch.length, 2);
  });
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(peak, 3);
  assert.deepEqual(result, { succeeded: range(10), failed: [], skipped: [] });
});

test('a failed batch fails only its own items; the other batches still run', async () => {
  const boom = new Error('batch 1');
  const result = await runBatches(range(5), { size: 2, concurrency: 2 }, async (_batch, index) => {
    await tick();
    if (index === 1) throw boom;
  });
  assert.deepEqual(result.succeeded, [0, 1, 4]);
  assert.deepEqual(result.failed, [{ items: [2, 3], error: boom }]);
  assert.deepEqual(result.skipped, []);
  assert.throws(() => throwFirstFailure(result), (e: unknown) => e === boom);
  throwFirstFailure({ succeeded: [1], failed: [], skipped: [] });
});

test('stopOnFailure starts nothing after a failure: the rest are skipped', async () => {
  const calls: number[] = [];
  const result = await runBatches(range(7), { size: 2, stopOnFailure: true }, async (_batch, index) => {
    calls.push(index);
    if (index === 1) throw new Error('second');
  });
  assert.deepEqual(calls, [0, 1]);
  assert.deepEqual(result.succeeded, [0, 1]);
  assert.deepEqual(result.failed.map((f) => f.items), [[2, 3]]);
  assert.deepEqual(result.skipped, [4, 5, 6]);
});

test('an abort starts no further batch and rejects with the signal reason once the batch in flight settles', async () => {
  const ac = new AbortController();
  const reason = new Error('stopping');
  const calls: number[] = [];
  let settled = false;
  await assert.rejects(
    runBatches(range(6), { size: 2, signal: ac.signal }, async (_batch, index) => {
      calls.push(index);
      ac.abort(reason);
      await tick();
      settled = true;
    }),
    (e: unknown) => e === reason,
  );
  assert.deepEqual(calls, [0]);
  assert.ok(settled, 'the batch in flight settled before the run rejected');
  await assert.rejects(runBatches([1], { size: 1, signal: ac.signal }, async () => assert.fail('not called')), (e: unknown) => e === reason);
});

test('no items: no call; a bad concurrency is refused', async () => {
  assert.deepEqual(await runBatches([], { size: 5 }, async () => assert.fail('not called')), { succeeded: [], failed: [], skipped: [] });
  await assert.rejects(runBatches([1], { size: 1, concurrency: 0 }, async () => {}), /concurrency must be a whole number of at least 1, got 0/);
});
