import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { defaultDataPlaneSocket, resolveOptions } from './options.ts';

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
      error.message === 'Local provider option healthyThreshold is 0, but it must be an integer from 1 to 100.',
  );
  assert.doesNotThrow(() => resolveOptions({ connectRetries: 0 }));
});

test('backendCidrs: unset allows any unicast address; a list is parsed in its order, canonical', () => {
  assert.equal(resolveOptions().backendRanges, undefined);
  const resolved = resolveOptions({ backendCidrs: ['10.244.0.0/16', 'FD00:10:244::/56'] });
  assert.deepEqual(
    resolved.backendRanges?.map((r) => r.text),
    ['10.244.0.0/16', 'fd00:10:244::/56'],
  );
});

test('backendCidrs: a value that is not a list of CIDRs is a TerminalError naming the option, the value and what is allowed', () => {
  const allowed = 'allowed are IPv4 and IPv6 CIDRs such as 10.244.0.0/16 or fd00:10:244::/56';
  const cases: [readonly string[], string, string][] = [
    [
      [],
      'backendCidrs',
      `Local provider option backendCidrs is [], but it must list at least one CIDR (${allowed}); leave it unset to allow any unicast address.`,
    ],
    [
      ['10.0.0.0/8', '10.244.0.0'],
      'backendCidrs[1]',
      `Local provider option backendCidrs[1] is "10.244.0.0", which is invalid because it has no /prefix length: ${allowed}.`,
    ],
    [
      ['10.244.1.0/16'],
      'backendCidrs[0]',
      `Local provider option backendCidrs[0] is "10.244.1.0/16", which is invalid because it has address bits set past /16 (did you mean 10.244.0.0/16?): ${allowed}.`,
    ],
    [
      [' 10.0.0.0/8'],
      'backendCidrs[0]',
      `Local provider option backendCidrs[0] is " 10.0.0.0/8", which is invalid because " 10.0.0.0" is not an IPv4 or IPv6 address: ${allowed}.`,
    ],
    [
      [42 as unknown as string],
      'backendCidrs[0]',
      `Local provider option backendCidrs[0] is 42, which is invalid because it is not a string: ${allowed}.`,
    ],
  ];
  for (const [backendCidrs, field, message] of cases) {
    assert.throws(
      () => resolveOptions({ backendCidrs }),
      (error: unknown) => {
        assert.ok(isTerminalError(error));
        assert.equal(error.field, field);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
});

test('dataplane defaults to its own process on the per-user socket', () => {
  const resolved = resolveOptions();
  assert.equal(resolved.dataplane, 'process');
  assert.equal(resolved.dataplaneSocket, defaultDataPlaneSocket());
  assert.equal(resolveOptions({ dataplane: 'embedded', dataplaneSocket: '/run/x.sock' }).dataplaneSocket, '/run/x.sock');
});

test('defaultDataPlaneSocket: $XDG_RUNTIME_DIR/sluice, else a per-user directory under the temporary directory', () => {
  assert.equal(defaultDataPlaneSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/tmp', 1000), '/run/user/1000/sluice/dataplane.sock');
  assert.equal(defaultDataPlaneSocket({}, '/tmp', 1000), '/tmp/sluice-1000/dataplane.sock');
  assert.equal(defaultDataPlaneSocket({ XDG_RUNTIME_DIR: 'relative' }, '/var/tmp', 0), '/var/tmp/sluice-0/dataplane.sock', 'a relative runtime directory is ignored, as the XDG spec says');
});

test('dataplane and dataplaneSocket: a value that cannot work is a TerminalError naming the option', () => {
  const cases: [Parameters<typeof resolveOptions>[0], string, string][] = [
    [
      { dataplane: 'sidecar' as 'process' },
      'dataplane',
      'Local provider option dataplane is "sidecar", but it must be "process" or "embedded" (or a DataPlane to program).',
    ],
    [
      { dataplaneSocket: 'dataplane.sock' },
      'dataplaneSocket',
      'Local provider option dataplaneSocket is "dataplane.sock", but it must be an absolute path of at most 107 bytes (a UNIX socket path), such as /run/sluice/dataplane.sock.',
    ],
    [
      { dataplaneSocket: `/tmp/${'x'.repeat(120)}` },
      'dataplaneSocket',
      `Local provider option dataplaneSocket is "/tmp/${'x'.repeat(120)}", but it must be an absolute path of at most 107 bytes (a UNIX socket path), such as /run/sluice/dataplane.sock.`,
    ],
  ];
  for (const [options, field, message] of cases) {
    assert.throws(
      () => resolveOptions(options),
      (error: unknown) => {
        assert.ok(isTerminalError(error));
        assert.equal(error.field, field);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
});
