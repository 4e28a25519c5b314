import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { classifyAwsError, isNotFound } from './errors.ts';

/** The shape the SDK gives a service error. */
function sdkError(code: string, status: number, message = 'msg', extra: Record<string, unknown> = {}): Error {
  const e = Object.assign(new Error(message), { name: code, Code: code, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 1 }, ...extra });
  return e;
}

test('throttling, 5xx and transient codes are retryable; the message names operation, code and AWS message', () => {
  for (const [code, status] of [
    ['Throttling', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 503],
    ['TooManyRequestsException', 429],
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
    ['ResourceInUse', 400],
  ] as const) {
    const out = classifyAwsError('RegisterTargets', sdkError(code, status, 'Rate exceeded'));
    assert.ok(isRetryableError(out), code);
    assert.match((out as Error).message, new RegExp(`RegisterTargets.*${code}: Rate exceeded`), code);
    assert.equal((out as Error).cause instanceof Error, true, 'cause kept');
  }
  assert.equal((classifyAwsError('X', sdkError('Throttling', 400)) as { reason: string }).reason, 'AwsThrottled');
});

test('a resource gone under a call is retryable, not an input error', () => {
  for (const code of ['LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound']) {
    const out = classifyAwsError('ModifyTargetGroup', sdkError(code, 400, 'not found', { name: `${code}Exception` }));
    assert.ok(isRetryableError(out), code);
    assert.equal((out as Error).message, `AWS ModifyTargetGroup found the resource gone, will look again: ${code}: not found`);
  }
});

test('Retry-After becomes retryAfterMs', () => {
  const e = sdkError('Throttling', 400, 'slow down');
  Object.defineProperty(e, '$response', { value: { headers: { 'retry-after': '3' } } });
  assert.equal((classifyAwsError('DescribeTargetHealth', e) as { retryAfterMs?: number }).retryAfterMs, 3000);
});

test('client errors are terminal: AWS rejected <operation>: <code>: <message>', () => {
  for (const code of ['ValidationError', 'InvalidConfigurationRequest', 'AccessDenied', 'DuplicateLoadBalancerName', 'TooManyTargets', 'TooManyLoadBalancers', 'CertificateNotFound', 'UnauthorizedOperation']) {
    const out = classifyAwsError('CreateTargetGroup', sdkError(code, 400, 'bad input'));
    assert.ok(isTerminalError(out), code);
    assert.equal((out as Error).message, `AWS rejected CreateTargetGroup: ${code}: bad input`);
  }
});

test('network failures and SDK timeouts are retryable; missing credentials or region are terminal', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.ok(isRetryableError(classifyAwsError('DescribeLoadBalancers', refused)));
  assert.match((classifyAwsError('DescribeLoadBalancers', refused) as Error).message, /could not reach AWS: ECONNREFUSED/);
  const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
  assert.ok(isRetryableError(classifyAwsError('DescribeLoadBalancers', timeout)));
  const creds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
  assert.ok(isTerminalError(classifyAwsError('DescribeLoadBalancers', creds)));
  assert.ok(isTerminalError(classifyAwsError('DescribeLoadBalancers', new Error('Region is missing'))));
});

test('an aborted call rethrows the signal reason, not an AWS error', () => {
  const ac = new AbortController();
  const reason = new Error('shutting down');
  ac.abort(reason);
  assert.equal(classifyAwsError('DescribeLoadBalancers', Object.assign(new Error('aborted'), { name: 'AbortError' }), ac.signal), reason);
});

test('isNotFound sees through classification, with or without the SDK Exception suffix', () => {
  const raw = sdkError('LoadBalancerNotFound', 400, 'gone', { name: 'LoadBalancerNotFoundException' });
  assert.ok(isNotFound(raw, 'LoadBalancerNotFound'));
  assert.ok(isNotFound(classifyAwsError('DescribeLoadBalancers', raw), 'LoadBalancerNotFound'));
  assert.ok(!isNotFound(classifyAwsError('DescribeLoadBalancers', raw), 'TargetGroupNotFound'));
  assert.ok(!isNotFound(new Error('x'), 'LoadBalancerNotFound'));
});
