import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestError } from '@azure/arm-network';
import { isRetryableError, isTerminalError, RetryableError } from '@sluice/core';
import { classifyAzureError, httpStatus, isNotFound } from './errors.ts';

/** What the SDK throws when ARM answers with a CloudError. */
function restError(status: number, code: string, message = 'msg', headers: Record<string, string> = {}): RestError {
  const e = new RestError(message, { statusCode: status, code });
  Object.defineProperty(e, 'response', { value: { status, headers: { get: (name: string) => headers[name.toLowerCase()] } } });
  return e;
}

test('429 is throttling: retryable with retryAfterMs from Retry-After (seconds or a date)', () => {
  const out = classifyAzureError('loadBalancers.get', restError(429, 'SubscriptionRequestsThrottled', 'slow down', { 'retry-after': '7' }));
  assert.ok(isRetryableError(out));
  assert.equal(out.retryAfterMs, 7000);
  assert.equal(out.reason, 'AzureThrottled');
  assert.equal(out.message, 'Azure throttled loadBalancers.get: SubscriptionRequestsThrottled: slow down');
  assert.ok(out.cause instanceof RestError, 'cause kept');
  const at = new Date(Date.parse('2026-01-01T00:00:10Z')).toUTCString();
  const clock = { now: () => Date.parse('2026-01-01T00:00:00Z') };
  assert.equal((classifyAzureError('x', restError(429, 'x', 'm', { 'retry-after': at }), undefined, clock) as RetryableError).retryAfterMs, 10_000, 'a date counts from the injected clock');
  assert.equal((classifyAzureError('x', restError(429, 'x')) as RetryableError).retryAfterMs, undefined);
});

test('5xx, 408, 409, 412 and a vanished resource are retryable; each message names operation, code and Azure message', () => {
  const cases: [number, string, RegExp, string][] = [
    [500, 'InternalServerError', /^Azure backendAddressPools\.createOrUpdate failed, will retry: InternalServerError: m$/, 'AzureRetryable'],
    [503, 'ServerBusy', /failed, will retry: ServerBusy: m$/, 'AzureRetryable'],
    [409, 'AnotherOperationInProgress', /conflicted with another operation, will retry: AnotherOperationInProgress: m$/, 'AzureRetryable'],
    [412, 'PreconditionFailed', /lost a race with another writer \(ETag changed\), will retry: PreconditionFailed: m$/, 'AzureConflict'],
    [404, 'NotFound', /found the resource gone, will look again: NotFound: m$/, 'AzureNotFound'],
  ];
  for (const [status, code, message, reason] of cases) {
    const out = classifyAzureError('backendAddressPools.createOrUpdate', restError(status, code, 'm'));
    assert.ok(isRetryableError(out), code);
    assert.match((out as Error).message, message);
    assert.equal((out as RetryableError).reason, reason);
  }
});

test('other 4xx are terminal: "Azure rejected <operation>: <code>: <message>"', () => {
  const out = classifyAzureError('loadBalancers.createOrUpdate', restError(400, 'InvalidResourceReference', 'Resource /x was not found.'));
  assert.ok(isTerminalError(out));
  assert.equal(out.message, 'Azure rejected loadBalancers.createOrUpdate: InvalidResourceReference: Resource /x was not found.');
  assert.equal(out.reason, 'AzureRejected');
  const forbidden = classifyAzureError('loadBalancers.get', restError(403, 'AuthorizationFailed', 'The client does not have authorization.'));
  assert.ok(isTerminalError(forbidden));
  assert.match(forbidden.message, /^Azure rejected loadBalancers\.get: AuthorizationFailed: The client does not have authorization\. The identity needs the Network Contributor role/);
  const noGroup = classifyAzureError('loadBalancers.get', restError(404, 'ResourceGroupNotFound', "Resource group 'rg' could not be found."));
  assert.ok(isTerminalError(noGroup), 'a missing resource group is configuration, not a vanished resource');
  assert.ok(!isNotFound(restError(404, 'ResourceGroupNotFound')));
  assert.ok(isNotFound(restError(404, 'ResourceNotFound')));
  assert.ok(isNotFound(classifyAzureError('x', restError(404, 'NotFound'))), 'works on a classified error through its cause');
  assert.equal(httpStatus(classifyAzureError('x', restError(412, 'PreconditionFailed'))), 412);
});

test('long-running operation failures, network errors and credential errors are retryable', () => {
  const failed = classifyAzureError('loadBalancers.delete', new Error('The long-running operation has failed. InternalServerError. An error occurred.'));
  assert.equal((failed as Error).message, 'Azure loadBalancers.delete failed while running: InternalServerError: An error occurred.');
  assert.ok(isRetryableError(failed));
  assert.equal((classifyAzureError('x', new Error('The long-running operation has failed')) as Error).message, 'Azure x failed while running: no error details');
  assert.ok(isRetryableError(classifyAzureError('x', new Error('Operation was canceled'))));
  const network = classifyAzureError('loadBalancers.get', new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'REQUEST_SEND_ERROR' }));
  assert.ok(isRetryableError(network) && network.reason === 'AzureUnreachable');
  const credential = Object.assign(new Error('EnvironmentCredential is unavailable.'), { name: 'CredentialUnavailableError' });
  const out = classifyAzureError('loadBalancers.get', credential);
  assert.ok(isRetryableError(out) && out.reason === 'AzureCredentials');
  assert.match(out.message, /^Azure loadBalancers\.get could not get a token: EnvironmentCredential is unavailable\. Provide credentials/);
});

test('an abort rethrows the signal reason; Sluice errors pass through', () => {
  const controller = new AbortController();
  const reason = new Error('deadline');
  controller.abort(reason);
  assert.equal(classifyAzureError('x', Object.assign(new Error('aborted'), { name: 'AbortError' }), controller.signal), reason);
  const timeout = classifyAzureError('x', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
  assert.ok(isRetryableError(timeout) && timeout.reason === 'AzureUnreachable', 'an SDK-internal timeout is not the caller\'s abort');
  const own = new RetryableError('mine');
  assert.equal(classifyAzureError('x', own), own);
});
