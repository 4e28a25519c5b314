import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServicePlan } from './plan-types.ts';
import { renderJson, renderText, summaryLine } from './render.ts';

const plans: ServicePlan[] = [
  {
    service: 'shop/api',
    loadBalancer: 'sl-shop-api-0123456789',
    status: 'changes',
    actions: [
      { kind: 'create', loadBalancer: 'sl-shop-api-0123456789', backends: 1 },
      { kind: 'register', pod: 'shop/api-7c9-xk2p', address: '10.64.0.12:8080', servicePort: 'http', weight: 1 },
    ],
    cluster: [
      { kind: 'add-finalizer', finalizer: 'sluice.dev/load-balancer-cleanup' },
      { kind: 'set-ingress', ingress: null },
      { kind: 'set-gate', pod: 'shop/api-7c9-xk2p', status: 'False', reason: 'LBRegistering', message: 'waiting for the load balancer: http 10.64.0.12 8080 is initial' },
    ],
  },
  {
    service: 'shop/bad',
    loadBalancer: 'sl-shop-bad-0123456789',
    status: 'error',
    error: 'Service shop/bad annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    actions: [],
    cluster: [],
  },
  {
    service: 'shop/web',
    loadBalancer: 'sl-shop-web-0123456789',
    status: 'changes',
    actions: [
      { kind: 'drain', pod: 'shop/web-1', address: '10.64.0.3:8080', servicePort: 'http' },
      { kind: 'deregister', pod: '', address: '10.64.0.2:8080', servicePort: 'http', reason: 'pod gone' },
    ],
    cluster: [],
  },
  { service: 'tools/echo', loadBalancer: 'sl-tools-echo-0123456789', status: 'in-sync', actions: [], cluster: [] },
];

test('text: a header per Service, aligned rows, errors as one sentence, then the summary', () => {
  assert.deepEqual(renderText(plans), [
    'shop/api  load balancer sl-shop-api-0123456789: 5 changes',
    '  create         load balancer sl-shop-api-0123456789                   with 1 backend',
    '  register       shop/api-7c9-xk2p                     10.64.0.12:8080  port http  weight 1',
    '  add finalizer  sluice.dev/load-balancer-cleanup',
    '  set ingress    (from the new load balancer)',
    '  set gate       shop/api-7c9-xk2p                                      False  LBRegistering',
    '',
    'shop/bad  load balancer sl-shop-bad-0123456789: error',
    '  error: Service shop/bad annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    '',
    'shop/web  load balancer sl-shop-web-0123456789: 2 changes',
    '  drain          shop/web-1                            10.64.0.3:8080   port http',
    '  deregister     (unknown pod)                         10.64.0.2:8080   port http  pod gone',
    '',
    'tools/echo  load balancer sl-tools-echo-0123456789: in sync',
    '',
    '4 services: 2 with changes, 1 in sync, 1 with errors',
  ]);
});

test('text with nothing to plan is the summary alone; one Service is singular', () => {
  assert.deepEqual(renderText([]), ['0 services: 0 with changes, 0 in sync, 0 with errors']);
  assert.equal(summaryLine([plans[3]!]), '1 service: 0 with changes, 1 in sync, 0 with errors');
});

test('json: the plans as one array that parses back to the same value', () => {
  const lines = renderJson(plans);
  assert.equal(lines[0], '[');
  assert.deepEqual(JSON.parse(lines.join('\n')), plans);
  assert.deepEqual(renderJson([]), ['[]']);
});
