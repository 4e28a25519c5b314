import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInvalidSpecError } from './errors.ts';
import { resolveHealthCheck, resolveListener, resolveTargetGroup, resolveTargets, resolveTimeScale } from './resolve.ts';
import { parseStatusMatcher } from './status-matcher.ts';

test('a target group with only a name gets every default, as weight-0 drain, fail-closed', () => {
  assert.deepEqual(resolveTargetGroup({ name: 'tg' }), {
    name: 'tg',
    drain: { mode: 'weight0' },
    failOpen: false,
    registrationDelayMs: 0,
    connectRetries: 0,
    connectTimeoutMs: 10_000,
    countConnectFailures: false,
    proxyProtocol: 'none',
    preserveClientIp: false,
    proxySource: { address: undefined, tags: [] },
    idleTimeoutMs: undefined,
    idleAction: 'drop',
  });
  assert.deepEqual(resolveTargetGroup({ name: 'tg', drain: { mode: 'deregister' } }).drain, { mode: 'deregister', delayMs: 300_000, terminateOnExpiry: false });
  assert.deepEqual(resolveTargetGroup({ name: 'tg', drain: { mode: 'detach', drainingTimeoutMs: 5000 } }).drain, { mode: 'detach', drainingTimeoutMs: 5000 });
});

test('a health check gets the documented defaults and a canonical matcher', () => {
  assert.deepEqual(resolveHealthCheck({ protocol: 'http', matcher: '200, 300-302' }), {
    protocol: 'http',
    port: undefined,
    path: '/',
    host: undefined,
    matcher: '200,300-302',
    intervalMs: 10_000,
    timeoutMs: 5_000,
    healthyThreshold: 3,
    unhealthyThreshold: 3,
    source: { address: undefined, tags: [] },
  });
});

test('a listener canonicalises its source ranges', () => {
  const listener = resolveListener({ name: 'l', port: 0, targetGroup: 'tg', sourceRanges: ['10.1.2.3/8', '::ffff:127.0.0.0/104', '2001:DB8::/32'] });
  assert.deepEqual(listener.sourceRanges, ['10.0.0.0/8', '127.0.0.0/8', '2001:db8::/32']);
  assert.equal(listener.address, '127.0.0.1');
});

const invalid: [string, () => unknown, string][] = [
  ['a threshold of 0', () => resolveHealthCheck({ healthyThreshold: 0 }), 'healthCheck.healthyThreshold is 0, but it must be an integer from 1 to 100.'],
  ['a negative interval', () => resolveHealthCheck({ intervalMs: -5 }), 'healthCheck.intervalMs is -5, but it must be a number of milliseconds from 1 to 2147483647.'],
  ['a bad matcher', () => resolveHealthCheck({ matcher: '2xx' }), 'healthCheck.matcher is "2xx", but it must be HTTP status codes from 100 to 599 as a code, a range or a comma-separated list, such as "200", "200-399" or "200,202,300-302".'],
  ['an unknown drain mode', () => resolveTargetGroup({ name: 'tg', drain: { mode: 'slow' } }), 'targetGroup.drain.mode is "slow", but it must be one of "weight0", "deregister", "detach".'],
  ['a drain field of another mode', () => resolveTargetGroup({ name: 'tg', drain: { mode: 'detach', delayMs: 1 } }), 'targetGroup.drain has the unknown field "delayMs", but the allowed fields are mode, drainingTimeoutMs.'],
  ['a listener port above 65535', () => resolveListener({ name: 'l', port: 70000, targetGroup: 'tg' }), 'listener.port is 70000, but it must be an integer from 0 to 65535.'],
  ['a bad source range', () => resolveListener({ name: 'l', port: 0, targetGroup: 'tg', sourceRanges: ['10.0.0.0'] }), 'listener.sourceRanges[0] is "10.0.0.0", which is invalid because it has no /prefix length: allowed are IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32.'],
  ['a multicast target', () => resolveTargets([{ ip: '224.0.0.1', port: 80 }]), 'targets[0].ip is "224.0.0.1", but it must be a unicast address, not a multicast address.'],
  ['a repeated target', () => resolveTargets([{ ip: '127.0.0.1', port: 80 }, { ip: '::ffff:127.0.0.1', port: 80 }]), 'targets[1] repeats the target 127.0.0.1 port 80 of targets[0], but each ip and port may appear once.'],
  ['a hostname as target', () => resolveTargets([{ ip: 'localhost', port: 80 }]), 'targets[0].ip is "localhost", but it must be an IPv4 or IPv6 address such as 127.0.0.1 or ::1.'],
  ['a time scale of 0', () => resolveTimeScale(0), 'timeScale is 0, but it must be a number greater than 0 and at most 1000 that multiplies every configured duration (0.1 runs a 10 s interval as 1 s).'],
];

for (const [what, run, message] of invalid) {
  test(`${what} is refused with one sentence naming the field, the value and what is allowed`, () => {
    assert.throws(run, (error: unknown) => {
      assert.ok(isInvalidSpecError(error));
      assert.equal((error as Error).message, message);
      return true;
    });
  });
}

test('status matchers accept codes, ranges and lists', () => {
  const m = parseStatusMatcher('m', '200,202,300-302');
  assert.deepEqual([200, 201, 202, 300, 302, 303].map((s) => m.matches(s)), [true, false, true, true, true, false]);
  assert.throws(() => parseStatusMatcher('m', '399-200'));
  assert.throws(() => parseStatusMatcher('m', '600'));
});
