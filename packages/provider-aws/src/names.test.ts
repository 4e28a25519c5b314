import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceSpecView } from '@sluice/core';
import { loadBalancerName, MAX_NAME_LENGTH, targetGroupName, targetGroupNamePrefix } from './names.ts';

const svc = (namespace: string, name: string, uid = '6f1c1a5e-0b7e-4c33-9d0e-1d2b3c4d5e6f'): ServiceSpecView => ({ namespace, name, uid, ports: [], annotations: {} });
const VALID = /^[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]$/;

test('load balancer names are sl-<ns 8>-<name 8>-<10 hex>, valid for ELBv2 and at most 32 characters', () => {
  const cases: [string, string, RegExp][] = [
    ['default', 'web', /^sl-default-web-[0-9a-f]{10}$/],
    ['kube-system', 'ingress-nginx-controller', /^sl-kube-sys-ingress-[0-9a-f]{10}$/],
    ['a', 'b', /^sl-a-b-[0-9a-f]{10}$/],
    ['team-a--b', 'x-', /^sl-team-a-b-x-[0-9a-f]{10}$/],
    ['abcdefg-h', 'abcdefg-', /^sl-abcdefg-abcdefg-[0-9a-f]{10}$/],
    ['n'.repeat(63), 'm'.repeat(63), /^sl-n{8}-m{8}-[0-9a-f]{10}$/],
    ['ns', 'weird.name_x', /^sl-ns-weird-na-[0-9a-f]{10}$/],
  ];
  for (const [ns, name, pattern] of cases) {
    const n = loadBalancerName('prod', svc(ns, name));
    assert.match(n, pattern, `${ns}/${name}`);
    assert.ok(n.length <= MAX_NAME_LENGTH, n);
    assert.match(n, VALID, n);
  }
});

test('names are stable, and differ by Service UID and by cluster', () => {
  const a = svc('shop', 'web', 'uid-a');
  assert.equal(loadBalancerName('prod', a), loadBalancerName('prod', { ...a }));
  assert.notEqual(loadBalancerName('prod', a), loadBalancerName('prod', svc('shop', 'web', 'uid-b')), 'a re-created Service gets new resources');
  assert.notEqual(loadBalancerName('prod', a), loadBalancerName('staging', a));
});

test('target group names: sl-<service hash>-<port hash>-<port>, per port name and protocol, within 32 characters', () => {
  const s = svc('shop', 'web');
  const http = targetGroupName('prod', s, { name: 'http', port: 65535, protocol: 'TCP' });
  assert.match(http, /^sl-[0-9a-f]{10}-[0-9a-f]{6}-65535$/);
  assert.ok(http.length <= MAX_NAME_LENGTH);
  assert.ok(http.startsWith(targetGroupNamePrefix('prod', s)));
  assert.equal(http, targetGroupName('prod', s, { name: 'http', port: 65535, protocol: 'TCP' }));
  const variants = [
    targetGroupName('prod', s, { name: 'http', port: 65535, protocol: 'UDP' }),
    targetGroupName('prod', s, { name: 'web', port: 65535, protocol: 'TCP' }),
    targetGroupName('prod', s, { name: 'http', port: 80, protocol: 'TCP' }),
    targetGroupName('prod', svc('shop', 'web', 'other'), { name: 'http', port: 65535, protocol: 'TCP' }),
  ];
  assert.equal(new Set([http, ...variants]).size, 5);
});

test('a thousand UIDs give a thousand distinct names', () => {
  const names = new Set(Array.from({ length: 1000 }, (_, i) => loadBalancerName('prod', svc('shop', 'web', `uid-${i}`))));
  assert.equal(names.size, 1000);
});
