import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackUrl, silentLogger } from './endpoints.ts';

test('loopback hosts are 127.0.0.1, localhost and [::1], on any scheme and port', () => {
  const cases: [string, boolean][] = [
    ['http://127.0.0.1:8080', true],
    ['http://localhost', true],
    ['https://[::1]:443/x', true],
    ['http://127.0.0.2', false],
    ['http://management.azure.com', false],
    ['http://localhost.example.com', false],
  ];
  for (const [url, loopback] of cases) assert.equal(isLoopbackUrl(new URL(url)), loopback, url);
});

test('the silent logger takes every level and says nothing', () => {
  for (const level of ['debug', 'info', 'warn', 'error'] as const) assert.equal(silentLogger[level]('x', { a: 1 }), undefined);
});
