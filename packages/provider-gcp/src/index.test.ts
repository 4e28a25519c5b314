import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { createGcpProvider } from './index.ts';

test('the gcp provider refuses to start with one terminal sentence naming the flag', () => {
  assert.throws(
    () => createGcpProvider({ clusterName: 'c1' }),
    (error: unknown) => isTerminalError(error) && error.field === '--provider' && /^--provider gcp cannot start: .*use --provider local\.$/.test(error.message),
  );
});
