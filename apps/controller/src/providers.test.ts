import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '@sluice/core';
import { parseFlags } from './flags.ts';
import { loadProvider } from './providers.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test("a provider's refusal of an option names the flag that set it", async () => {
  const parsed = parseFlags(['--provider', 'local', '--local-backend-cidrs', '10.244.0.0/16,10.1.2.3/8']);
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  await assert.rejects(loadProvider(parsed.config, quiet), (error: Error) => {
    assert.match(error.message, /^--local-backend-cidrs: .*"10\.1\.2\.3\/8".*did you mean 10\.0\.0\.0\/8\?/);
    assert.equal(error.name, 'TerminalError');
    return true;
  });
});

test('good provider flags build the provider', async () => {
  const parsed = parseFlags(['--provider', 'local', '--local-backend-cidrs', '10.244.0.0/16']);
  if (parsed.kind !== 'run') assert.fail(JSON.stringify(parsed));
  const provider = await loadProvider(parsed.config, quiet);
  assert.equal(provider.providerName, 'local');
  await provider.close?.();
});
