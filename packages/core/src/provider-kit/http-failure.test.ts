import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError, RetryableError, TerminalError } from '../errors.ts';
import { classifyHttpFailure, type HttpFailureKind, httpFailureKind, isNetworkFailure, isThrottledError, networkErrorCode, passThrough, type VendorProfile } from './http-failure.ts';

const vendor: VendorProfile = {
  vendor: 'Acme',
  reasonPrefix: 'Acme',
  throttlingCodes: new Set(['SlowDown']),
  transientCodes: new Set(['ResourceInUse']),
  vanishedCodes: new Set(['ThingNotFound']),
  configurationCodes: new Set(['AccountNotFound']),
  versionToken: 'fingerprint',
  forbiddenHint: 'Grant the role acme.admin.',
};
const clock = { now: () => Date.parse('2026-01-01T00:00:00Z') };

test('the kind of an answer: first match wins, in the documented order', () => {
  const cases: [number | undefined, string | undefined, { throttling?: boolean; serverFault?: boolean }, HttpFailureKind][] = [
    [429, 'Anything', {}, 'throttled'],
    [400, 'SlowDown', {}, 'throttled'],
    [503, 'SlowDown', {}, 'throttled'],
    [400, 'Other', { throttling: true }, 'throttled'],
    [400, 'ThingNotFound', {}, 'vanished'],
    [500, 'InternalError', {}, 'unavailable'],
    [503, undefined, {}, 'unavailable'],
    [400, 'ResourceInUse', {}, 'unavailable'],
    [undefined, 'Weird', { serverFault: true }, 'unavailable'],
    [408, 'Timeout', {}, 'conflict'],
    [409, 'AnotherOperationInProgress', {}, 'conflict'],
    [412, 'PreconditionFailed', {}, 'precondition'],
    [404, 'NotFound', {}, 'vanished'],
    [404, 'AccountNotFound', {}, 'rejected'],
    [401, 'Unauthenticated', {}, 'forbidden'],
    [403, 'AccessDenied', {}, 'forbidden'],
    [400, 'ValidationError', {}, 'rejected'],
    [undefined, 'ClientOnly', {}, 'rejected'],
  ];
  for (const [status, code, flags, kind] of cases) {
    assert.equal(httpFailureKind(vendor, { ...(status !== undefined ? { status } : {}), ...(code !== undefined ? { code } : {}), ...flags }), kind, `${status} ${code}`);
  }
});

test('each kind becomes one sentence and a reason; retryable kinds carry Retry-After, the cause is kept', () => {
  const cause = new Error('sdk');
  const headers = { 'retry-after': '2' };
  const cases: [number, string, string, string, boolean][] = [
    [429, 'TooMany', 'Acme throttled things.get: TooMany: m', 'AcmeThrottled', true],
    [400, 'ThingNotFound', 'Acme things.get found the resource gone, will look again: ThingNotFound: m', 'AcmeNotFound', true],
    [502, 'BadGateway', 'Acme things.get failed, will retry: BadGateway: m', 'AcmeRetryable', true],
    [409, 'Busy', 'Acme things.get conflicted with another operation, will retry: Busy: m', 'AcmeRetryable', true],
    [412, 'Stale', 'Acme things.get lost a race with another writer (fingerprint changed), will retry: Stale: m', 'AcmeConflict', true],
    [403, 'AccessDenied', 'Acme rejected things.get: AccessDenied: m Grant the role acme.admin.', 'AcmeForbidden', false],
    [400, 'Invalid', 'Acme rejected things.get: Invalid: m', 'AcmeRejected', false],
  ];
  for (const [status, code, message, reason, retryable] of cases) {
    const out = classifyHttpFailure(vendor, { operation: 'things.get', status, code, message: 'm', headers, cause }, clock);
    assert.equal(out.message, message);
    assert.equal(out.reason, reason);
    assert.equal(out.cause, cause);
    if (retryable) {
      assert.ok(out instanceof RetryableError, code);
      assert.equal(out.retryAfterMs, 2000);
    } else {
      assert.ok(out instanceof TerminalError, code);
    }
  }
});

test('no code: HTTP<status> stands in; no Retry-After: no retryAfterMs; a date counts from the injected clock; ETag is the default token', () => {
  const plain: VendorProfile = { vendor: 'Plain', reasonPrefix: 'Plain' };
  const out = classifyHttpFailure(plain, { operation: 'op', status: 503, message: 'busy', cause: undefined }, clock);
  assert.equal(out.message, 'Plain op failed, will retry: HTTP503: busy');
  assert.equal((out as RetryableError).retryAfterMs, undefined);
  const dated = classifyHttpFailure(plain, { operation: 'op', status: 429, message: 'x', headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:00:30 GMT' }, cause: undefined }, clock);
  assert.equal((dated as RetryableError).retryAfterMs, 30_000);
  assert.match(classifyHttpFailure(plain, { operation: 'op', status: 412, message: 'x', cause: undefined }).message, /\(ETag changed\)/);
  assert.equal(classifyHttpFailure(plain, { operation: 'op', status: 403, code: 'No', message: 'x.', cause: undefined }).message, 'Plain rejected op: No: x.');
});

test('passThrough: the abort reason once aborted, a Sluice error as is, else undefined', () => {
  const ac = new AbortController();
  const reason = new Error('stop');
  ac.abort(reason);
  assert.equal(passThrough(new Error('x'), ac.signal), reason);
  const own = new RetryableError('mine');
  assert.equal(passThrough(own), own);
  assert.equal(passThrough(Object.assign(new Error('other copy'), { name: 'TerminalError' })) !== undefined, true, 'a Sluice error from another copy of the core');
  assert.equal(passThrough(new Error('raw'), new AbortController().signal), undefined);
});

test('network failures are found on the error or its cause; throttled errors by their reason', () => {
  assert.equal(networkErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'ECONNRESET');
  assert.equal(networkErrorCode(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })), 'ECONNREFUSED');
  assert.ok(!isNetworkFailure(Object.assign(new Error('x'), { code: 'EACCES' })));
  assert.ok(!isNetworkFailure(undefined));
  assert.ok(isThrottledError(new RetryableError('t', { reason: 'AcmeThrottled' })));
  assert.ok(!isThrottledError(new RetryableError('t', { reason: 'AcmeRetryable' })));
  assert.ok(!isThrottledError(new TerminalError('t', { reason: 'AcmeThrottled' })));
  assert.ok(isRetryableError(classifyHttpFailure(vendor, { operation: 'o', status: 429, message: 'm', cause: undefined })));
  assert.ok(isTerminalError(classifyHttpFailure(vendor, { operation: 'o', status: 400, message: 'm', cause: undefined })));
});
