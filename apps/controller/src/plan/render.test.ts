import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanReport } from './plan-types.ts';
import { renderJson, renderText, summaryLine } from './render.ts';

const plans: PlanReport[] = [
  {
    service: 'shop/api',
    loadBalancer: 'sl-shop-api-0123456789',
    status: 'changes',
    writes: [
      { verb: 'add finalizer', object: 'sluice.dev/load-balancer-cleanup', address: '', detail: '' },
      { verb: 'create', object: 'load balancer sl-shop-api-0123456789', address: '', detail: 'with 1 backend' },
      { verb: 'register', object: 'shop/api-7c9-xk2p', address: '10.64.0.12:8080', detail: 'port http  weight 1' },
    ],
    events: ['Normal EnsuringLoadBalancer service/shop/api: Ensuring load balancer'],
    next: 'requeue after 1000 ms (1 gate waiting)',
  },
  {
    service: 'shop/bad',
    loadBalancer: 'sl-shop-bad-0123456789',
    status: 'error',
    error: 'Service shop/bad annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    writes: [],
    events: [],
    next: 'terminal',
  },
  { service: 'tools/echo', loadBalancer: 'sl-tools-echo-0123456789', status: 'in-sync', writes: [], events: [], next: 'done' },
];

test('text: a header per Service, aligned rows, events, errors as one sentence, then the summary', () => {
  assert.deepEqual(renderText(plans), [
    'shop/api  load balancer sl-shop-api-0123456789: 3 changes',
    '  add finalizer  sluice.dev/load-balancer-cleanup',
    '  create         load balancer sl-shop-api-0123456789                   with 1 backend',
    '  register       shop/api-7c9-xk2p                     10.64.0.12:8080  port http  weight 1',
    '  event  Normal EnsuringLoadBalancer service/shop/api: Ensuring load balancer',
    '',
    'shop/bad  load balancer sl-shop-bad-0123456789: error',
    '  error: Service shop/bad annotation sluice.dev/readiness-gate-timeout="soon" is invalid: allowed is a whole number from 1 to 86400.',
    '',
    'tools/echo  load balancer sl-tools-echo-0123456789: in sync',
    '',
    '3 services: 1 with changes, 1 in sync, 1 with errors',
  ]);
});

test('summary of nothing', () => {
  assert.equal(summaryLine([]), '0 services: 0 with changes, 0 in sync, 0 with errors');
});

test('json: the reports themselves, stable', () => {
  assert.deepEqual(JSON.parse(renderJson(plans).join('\n')), plans);
});
