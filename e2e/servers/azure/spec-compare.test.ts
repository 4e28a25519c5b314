import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Json } from './json.ts';
import { compareHeaders, compareShape } from './spec-compare.ts';

const cases: Array<[string, Json, Json | undefined, string[], string[]]> = [
  ['equal shapes, values ignored', { a: 1, b: { c: 'x' } }, { a: 2, b: { c: 'y' }, extra: true }, ['a', 'b', 'b.c'], []],
  ['a missing nested key', { a: { b: 1, c: 2 } }, { a: { b: 1 } }, ['a', 'a.b'], ['a.c']],
  ['arrays matched by name, in any order', { v: [{ name: 'x', p: 1 }, { name: 'y', q: 1 }] }, { v: [{ name: 'Y', q: 0 }, { name: 'x', p: 0 }] }, ['v', 'v[name=x].name', 'v[name=x].p', 'v[name=y].name', 'v[name=y].q'], []],
  ['an array element missing', { v: [{ name: 'x' }] }, { v: [] }, ['v'], ['v[name=x]']],
  ['arrays without names by position', { v: [{ id: 'a' }] }, { v: [{ id: 'b' }] }, ['v', 'v[0].id'], []],
  ['an object where an array is expected', { v: [1] }, { v: {} }, ['v'], ['v (an array)']],
  ['no body at all', { a: 1 }, undefined, [], [' (an object)']],
];

for (const [what, expected, actual, compared, missing] of cases) {
  it(`compareShape: ${what}`, () => {
    assert.deepEqual(compareShape(expected, actual), { compared, missing });
  });
}

it('compareHeaders matches names without regard to case', () => {
  assert.deepEqual(compareHeaders({ Location: 'x', 'Azure-AsyncOperation': 'y' }, { location: 'z' }), {
    compared: ['header:Location'],
    missing: ['header:Azure-AsyncOperation'],
  });
});
