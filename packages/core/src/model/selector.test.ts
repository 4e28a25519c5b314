import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectorMatches } from './selector.ts';

test('selectorMatches: empty selects nothing, every key must match', () => {
  const cases: [Record<string, string> | undefined, Record<string, string> | undefined, boolean][] = [
    [undefined, { app: 'web' }, false],
    [{}, { app: 'web' }, false],
    [{ app: 'web' }, undefined, false],
    [{ app: 'web' }, { app: 'web', tier: 'x' }, true],
    [{ app: 'web', tier: 'front' }, { app: 'web', tier: 'x' }, false],
    [{ app: 'web' }, { app: 'db' }, false],
  ];
  for (const [selector, labels, want] of cases) assert.equal(selectorMatches(selector, labels), want, JSON.stringify({ selector, labels }));
});
