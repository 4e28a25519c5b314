import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { createAzureProvider } from './index.ts';

test('the azure provider refuses to start with one terminal sentence naming the flag', () => {
  assert.throws(
    () => createAzureProvider({ clusterName: 'c1' }),
    (error: unknown) => isTerminalError(error) && error.field === '--provider' && /^--provider azure cannot start: .*use --provider local\.$/.test(error.message),
  );
});
