import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickSmoothWeighted } from './weighted-round-robin.ts';

interface Peer {
  readonly name: string;
  readonly weight: number;
  currentWeight: number;
}

function peers(weights: Record<string, number>): Peer[] {
  return Object.entries(weights).map(([name, weight]) => ({ name, weight, currentWeight: 0 }));
}

function sequence(weights: Record<string, number>, picks: number): string[] {
  const list = peers(weights);
  return Array.from({ length: picks }, () => pickSmoothWeighted(list)?.name ?? '-');
}

describe('pickSmoothWeighted', () => {
  const sequences: { weights: Record<string, number>; expected: string }[] = [
    { weights: { a: 5, b: 1, c: 1 }, expected: 'aabacaa' + 'aabacaa' },
    { weights: { a: 1, b: 1 }, expected: 'abab' },
    { weights: { a: 2, b: 1 }, expected: 'abaaba' },
    { weights: { a: 3, b: 2, c: 1 }, expected: 'abacba' },
    { weights: { a: 0, b: 1 }, expected: 'bbb' },
    { weights: { a: 1, b: 0, c: 1 }, expected: 'acac' },
    { weights: { a: 0, b: 0 }, expected: '---' },
    { weights: {}, expected: '--' },
  ];
  for (const { weights, expected } of sequences) {
    test(`weights ${JSON.stringify(weights)} pick ${expected}`, () => {
      assert.equal(sequence(weights, expected.length).join(''), expected);
    });
  }

  const cycles: Record<string, number>[] = [
    { a: 5, b: 1, c: 1 },
    { a: 3, b: 2, c: 1 },
    { a: 10, b: 1 },
    { a: 4, b: 0, c: 2 },
    { a: 7, b: 7, c: 7, d: 1 },
  ];
  for (const weights of cycles) {
    test(`weights ${JSON.stringify(weights)} are met exactly over every whole cycle`, () => {
      const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
      const picks = sequence(weights, total * 3);
      for (let cycle = 0; cycle < 3; cycle++) {
        const counts: Record<string, number> = Object.fromEntries(Object.keys(weights).map((name) => [name, 0]));
        for (const name of picks.slice(cycle * total, (cycle + 1) * total)) counts[name] = (counts[name] ?? 0) + 1;
        assert.deepEqual(counts, weights);
      }
    });
  }

  test('a weight-0 peer keeps its state untouched and is never chosen', () => {
    const list = peers({ a: 1, b: 0 });
    for (let i = 0; i < 5; i++) assert.equal(pickSmoothWeighted(list)?.name, 'a');
    assert.equal(list[1]?.currentWeight, 0);
  });
});
