import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testFiles } from './publish-files.ts';

test('tests, e2e files, test support and __tests__ are test files; testing/ is one unless the package exports it', () => {
  const files = [
    'package.json',
    'README.md',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/reconciler.test.js',
    'dist/reconciler.test.d.ts',
    'src/rollout.e2e.ts',
    'dist/test-support/fake-arm.js',
    'src/__tests__/x.ts',
    'dist/testing/fake-clock.js',
    'dist/contest.js',
  ];
  const tests = ['dist/reconciler.test.js', 'dist/reconciler.test.d.ts', 'src/rollout.e2e.ts', 'dist/test-support/fake-arm.js', 'src/__tests__/x.ts'];
  assert.deepEqual(testFiles(true, files), tests);
  assert.deepEqual(testFiles(false, files), [...tests, 'dist/testing/fake-clock.js']);
});
