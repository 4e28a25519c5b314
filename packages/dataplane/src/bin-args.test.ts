import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBinArgs } from './bin-args.ts';

test('flags parse to options with defaults', () => {
  assert.deepEqual(parseBinArgs(['--socket', '/run/dp.sock']), {
    options: { socketPath: '/run/dp.sock', timeScale: 1, firewallDefault: 'allow', logLevel: 'warn' },
  });
  assert.deepEqual(parseBinArgs(['--socket=/s', '--time-scale', '0.1', '--firewall-default', 'deny', '--log-level', 'debug']), {
    options: { socketPath: '/s', timeScale: 0.1, firewallDefault: 'deny', logLevel: 'debug' },
  });
  assert.deepEqual(parseBinArgs(['-h']), { help: true });
});

const bad: [string[], string][] = [
  [[], '--socket is missing, but it must name the control API socket path (e.g. /run/sluice/dataplane.sock).'],
  [['--socket', '/s', '--time-scale', 'fast'], '--time-scale is "fast", but it must be a number greater than 0 and at most 1000.'],
  [['--socket', '/s', '--firewall-default', 'drop'], '--firewall-default is "drop", but it must be allow or deny.'],
  [['--socket', '/s', '--log-level', 'trace'], '--log-level is "trace", but it must be one of debug, info, warn, error.'],
];

for (const [argv, message] of bad) {
  test(`${JSON.stringify(argv)} is refused with one sentence`, () => {
    assert.deepEqual(parseBinArgs(argv), { error: message });
  });
}

test('an unknown flag names itself', () => {
  const parsed = parseBinArgs(['--socket', '/s', '--port', '80']);
  assert.ok('error' in parsed);
  assert.match(parsed.error, /--port/);
});
