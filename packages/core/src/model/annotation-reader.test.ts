import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnnotationReader } from './annotation-reader.ts';

const svc = (annotations: Record<string, string>) => ({ namespace: 'shop', name: 'web', annotations });

test('integer: absent gives the fallback, in range the value, out of range or not a number one problem', () => {
  const r = createAnnotationReader(svc({ 'x/a': ' 7 ', 'x/b': '0', 'x/c': 'soon' }));
  assert.deepEqual([r.integer('x/a', 1, 10, 3), r.integer('x/b', 1, 10, 3), r.integer('x/c', 1, 10, 3, ' of seconds'), r.integer('x/d', 1, 10, 3)], [7, 3, 3, 3]);
  assert.deepEqual(r.problems, [
    { field: 'metadata.annotations[x/b]', message: 'Service shop/web annotation x/b="0" is invalid: allowed is a whole number from 1 to 10.' },
    { field: 'metadata.annotations[x/c]', message: 'Service shop/web annotation x/c="soon" is invalid: allowed is a whole number of seconds from 1 to 10.' },
  ]);
});

test('rejectUnknown names every unknown key under the prefix and lists the known ones', () => {
  const r = createAnnotationReader(svc({ 'p/scheme': 'x', 'p/shceme': 'y', 'other/k': 'z' }));
  r.rejectUnknown('p/', ['p/scheme'], 'test');
  assert.deepEqual(r.problems.map((p) => p.message), ['Service shop/web annotation p/shceme="y" is invalid: allowed are the test provider keys p/scheme.']);
});
