import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGcpAnnotations } from './annotations.ts';
import { service } from './test-support/harness.ts';

const p = (key: string, allowed: string, value: string) => `Service shop/web annotation ${key}="${value}" is invalid: ${allowed}.`;

test('defaults when no annotation is set', () => {
  const { settings, problems } = parseGcpAnnotations(service());
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, {
    internal: false,
    checkIntervalSec: 5,
    timeoutSec: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
    drainingTimeoutSec: 300,
    maxConnectionsPerEndpoint: 1000,
    proxyHeader: 'NONE',
  });
});

const cases: { annotations: Record<string, string>; messages: string[]; check?: Record<string, unknown> }[] = [
  { annotations: { 'sluice.dev/gcp-internal': 'true' }, messages: [], check: { internal: true } },
  { annotations: { 'sluice.dev/gcp-internal': 'yes' }, messages: [p('sluice.dev/gcp-internal', 'allowed are true, false', 'yes')] },
  { annotations: { 'sluice.dev/gcp-proxy-protocol': 'true' }, messages: [], check: { proxyHeader: 'PROXY_V1' } },
  { annotations: { 'sluice.dev/gcp-proxy-protocol': 'false' }, messages: [], check: { proxyHeader: 'NONE' } },
  { annotations: { 'sluice.dev/gcp-proxy-protocol': 'v1' }, messages: [p('sluice.dev/gcp-proxy-protocol', 'allowed are true, false', 'v1')], check: { proxyHeader: 'NONE' } },
  { annotations: { 'sluice.dev/gcp-healthcheck-interval': '0' }, messages: [p('sluice.dev/gcp-healthcheck-interval', 'allowed is a whole number of seconds from 1 to 300', '0')] },
  { annotations: { 'sluice.dev/gcp-healthcheck-interval': '2' }, messages: [], check: { checkIntervalSec: 2, timeoutSec: 2 } },
  {
    annotations: { 'sluice.dev/gcp-healthcheck-interval': '5', 'sluice.dev/gcp-healthcheck-timeout': '6' },
    messages: [p('sluice.dev/gcp-healthcheck-timeout', 'allowed is a whole number of seconds from 1 to the health check interval (5)', '6')],
  },
  { annotations: { 'sluice.dev/gcp-healthcheck-healthy-threshold': '11' }, messages: [p('sluice.dev/gcp-healthcheck-healthy-threshold', 'allowed is a whole number from 1 to 10', '11')] },
  { annotations: { 'sluice.dev/gcp-healthcheck-unhealthy-threshold': 'x' }, messages: [p('sluice.dev/gcp-healthcheck-unhealthy-threshold', 'allowed is a whole number from 1 to 10', 'x')] },
  { annotations: { 'sluice.dev/gcp-draining-timeout': '0' }, messages: [], check: { drainingTimeoutSec: 0 } },
  { annotations: { 'sluice.dev/gcp-draining-timeout': '3601' }, messages: [p('sluice.dev/gcp-draining-timeout', 'allowed is a whole number of seconds from 0 to 3600', '3601')] },
  { annotations: { 'sluice.dev/gcp-max-connections-per-endpoint': '50' }, messages: [], check: { maxConnectionsPerEndpoint: 50 } },
  { annotations: { 'sluice.dev/gcp-address': 'shop-ip' }, messages: [], check: { address: 'shop-ip' } },
  {
    annotations: { 'sluice.dev/gcp-address': '203.0.113.7' },
    messages: [p('sluice.dev/gcp-address', 'allowed is the name of a reserved address in the load balancer region (lower-case letters, digits and hyphens, at most 63)', '203.0.113.7')],
  },
  {
    annotations: { 'sluice.dev/gcp-drain-timeout': '10' },
    messages: [
      p(
        'sluice.dev/gcp-drain-timeout',
        'allowed are the gcp provider keys sluice.dev/gcp-internal, sluice.dev/gcp-healthcheck-interval, sluice.dev/gcp-healthcheck-timeout, sluice.dev/gcp-healthcheck-healthy-threshold, sluice.dev/gcp-healthcheck-unhealthy-threshold, sluice.dev/gcp-draining-timeout, sluice.dev/gcp-max-connections-per-endpoint, sluice.dev/gcp-proxy-protocol, sluice.dev/gcp-address',
        '10',
      ),
    ],
  },
];

for (const c of cases) {
  test(`annotations ${JSON.stringify(c.annotations)}`, () => {
    const { settings, problems } = parseGcpAnnotations(service({ annotations: c.annotations }));
    assert.deepEqual(
      problems.map((x) => x.message),
      c.messages,
    );
    for (const [k, v] of Object.entries(c.check ?? {})) assert.equal(settings[k as keyof typeof settings], v, k);
  });
}
