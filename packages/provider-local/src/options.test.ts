import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { resolveOptions } from './options.ts';

test('defaults are filled in, advertiseAddress and connectTimeoutMs follow their sources', () => {
  const defaults = resolveOptions();
  assert.equal(defaults.address, '127.0.0.1');
  assert.equal(defaults.advertiseAddress, '127.0.0.1');
  assert.equal(defaults.intervalMs, 1000);
  assert.equal(defaults.timeoutMs, 1000);
  assert.equal(defaults.healthyThreshold, 2);
  assert.equal(defaults.unhealthyThreshold, 2);
  assert.equal(defaults.connectRetries, 2);
  assert.equal(defaults.connectTimeoutMs, 1000);

  const derived = resolveOptions({ address: '0.0.0.0', timeoutMs: 250 });
  assert.equal(derived.advertiseAddress, '0.0.0.0');
  assert.equal(derived.connectTimeoutMs, 250);
});

test('an unusable value is a TerminalError naming the option', () => {
  assert.throws(
    () => resolveOptions({ healthyThreshold: 0 }),
    (error: unknown) =>
      isTerminalError(error) &&
      error.field === 'healthyThreshold' &&
      error.message === 'Local provider option healthyThreshold is 0, but it must be an integer of at least 1.',
  );
  assert.doesNotThrow(() => resolveOptions({ connectRetries: 0 }));
});
