import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerValue, parseRetryAfter, retryAfterMs } from './retry-after.ts';

const at = (iso: string) => ({ now: () => Date.parse(iso) });
const clock = at('2026-01-01T00:00:00Z');

test('Retry-After: seconds, decimal seconds, an HTTP date against the injected clock, a past date, and what is not advice', () => {
  const cases: [string | undefined, number | undefined][] = [
    ['7', 7000],
    [' 2 ', 2000],
    ['1.5', 1500],
    ['0', 0],
    [new Date(Date.parse('2026-01-01T00:00:10Z')).toUTCString(), 10_000],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['-3', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [value, ms] of cases) assert.equal(parseRetryAfter(value, clock), ms, String(value));
});

test('headers come as a Headers-like object or a record (any case, arrays take the first)', () => {
  const headers = new Headers({ 'Retry-After': '3' });
  assert.equal(headerValue(headers, 'retry-after'), '3');
  assert.equal(headerValue({ 'Retry-After': '4' }, 'retry-after'), '4');
  assert.equal(headerValue({ 'retry-after': ['5', '6'] }, 'Retry-After'), '5');
  assert.equal(headerValue({ other: 'x' }, 'retry-after'), undefined);
  assert.equal(headerValue(undefined, 'retry-after'), undefined);
  assert.equal(headerValue({ get: (name: string) => (name === 'retry-after' ? '8' : undefined) }, 'Retry-After'), '8');
  assert.equal(retryAfterMs({ 'retry-after': '9' }, clock), 9000);
  assert.equal(retryAfterMs(undefined, clock), undefined);
});
