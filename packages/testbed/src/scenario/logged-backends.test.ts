import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogLine } from './controller-process.ts';
import { healthyIpsByPod, loggedBackends, splitHostPort } from './logged-backends.ts';

test('host:port splits for IPv4, bracketed IPv6 and unbracketed IPv6', () => {
  assert.deepEqual(splitHostPort('10.1.1.1:8080'), { ip: '10.1.1.1', port: 8080 });
  assert.deepEqual(splitHostPort('[fd12::1:1]:8080'), { ip: 'fd12::1:1', port: 8080 });
  assert.deepEqual(splitHostPort('fd12::1:1:8080'), { ip: 'fd12::1:1', port: 8080 });
});

test('the last transition per backend and pod is its state; other Services are ignored', () => {
  const change = (backend: string, podUid: string, to: string, service = 'ns/web'): LogLine => ({ level: 'info', msg: 'backend health changed', service, backend, podUid, from: 'x', to });
  const lines: LogLine[] = [
    change('10.1.1.1:8080', 'a', 'healthy'),
    change('fd12::1:1:8080', 'a', 'healthy'),
    change('10.1.1.2:8080', 'b', 'healthy'),
    { level: 'info', msg: 'gate passed', podUid: 'a' },
    change('10.1.1.2:8080', 'b', 'unhealthy'),
    change('[fd12::1:2]:8080', 'b', 'healthy'),
    change('10.9.9.9:8080', 'a', 'healthy', 'other/web'),
  ];
  assert.equal(loggedBackends(lines, 'ns/web').length, 4);
  assert.deepEqual(
    [...healthyIpsByPod(lines, 'ns/web', ['a', 'b', 'c'])],
    [
      ['a', ['10.1.1.1', 'fd12::1:1']],
      ['b', ['fd12::1:2']],
      ['c', []],
    ],
  );
});
