import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { createAwsProvider } from './index.ts';

test('the aws provider refuses to start with one terminal sentence naming the flag', () => {
  assert.throws(
    () => createAwsProvider({ clusterName: 'c1' }),
    (error: unknown) => isTerminalError(error) && error.field === '--provider' && /^--provider aws cannot start: .*use --provider local\.$/.test(error.message),
  );
});
