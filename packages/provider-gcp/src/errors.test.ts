import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { classifyGcpError, operationError } from './errors.ts';

function gaxError(status: number, reason: string, message: string): Error {
  const e = Object.assign(new Error(message), { httpStatusCode: status, code: 3 });
  Object.defineProperty(e, Symbol.for('google-gax.rawHttpResponsePayload'), { value: JSON.stringify({ error: { code: status, message, errors: [{ reason, message }] } }) });
  return e;
}

test('classification keeps the cause', () => {
  const cases: [unknown, 'retry' | 'terminal', RegExp][] = [
    [gaxError(429, 'rateLimitExceeded', 'slow down'), 'retry', /^Google throttled x\.y: rateLimitExceeded: slow down$/],
    [gaxError(403, 'userRateLimitExceeded', 'slow'), 'retry', /throttled/],
    [gaxError(502, 'backendError', 'oops'), 'retry', /will retry/],
    [gaxError(412, 'conditionNotMet', 'fp'), 'retry', /fingerprint/],
    [gaxError(400, 'invalid', 'bad field'), 'terminal', /^Google rejected x\.y: invalid: bad field$/],
    [gaxError(403, 'forbidden', 'no'), 'terminal', /^Google rejected x\.y: forbidden: no The credentials need/],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'retry', /could not reach the Compute Engine API: ECONNREFUSED/],
  ];
  for (const [error, kind, message] of cases) {
    const out = classifyGcpError('x.y', error) as Error;
    assert.ok(kind === 'retry' ? isRetryableError(out) : isTerminalError(out), String(message));
    assert.match(out.message, message);
    assert.equal(out.cause, error);
  }
  const ac = new AbortController();
  ac.abort(new Error('gone'));
  assert.equal(classifyGcpError('x.y', new Error('any'), ac.signal), ac.signal.reason);
});

test('a failed operation is terminal for 4xx and retryable otherwise', () => {
  const bad = operationError('a.b', { httpErrorStatusCode: 400, error: { errors: [{ code: 'INVALID_FIELD_VALUE', message: 'nope' }] } });
  assert.ok(isTerminalError(bad));
  assert.equal(bad.message, 'Google rejected a.b: INVALID_FIELD_VALUE: nope');
  assert.ok(isRetryableError(operationError('a.b', { httpErrorStatusCode: 503, error: { errors: [{ code: 'X', message: 'y' }] } })));
});
