import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthStateOf, namesBackendService, toBackendStatuses } from './health-map.ts';

test('health states map to Sluice states', () => {
  assert.deepEqual(['HEALTHY', 'UNHEALTHY', 'UNKNOWN', 'DRAINING', undefined].map(healthStateOf), ['healthy', 'unhealthy', 'initial', 'initial', 'initial']);
});

test('each listed endpoint is reported for every Service port with its own backend service\'s health; unreported ones are initial', () => {
  const ports = [
    { name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 },
    { name: 'alt', port: 8000, protocol: 'TCP' as const, targetPort: 8080 },
  ];
  const own = 'https://www.googleapis.com/compute/v1/projects/p/regions/r/backendServices/sl-1-bs';
  const other = 'projects/p/regions/r/backendServices/someone-elses';
  const out = toBackendStatuses(
    { ports },
    [
      { networkEndpoint: { ipAddress: '10.0.0.1', port: 8080 }, healths: [{ backendService: { backendService: other }, healthState: 'UNHEALTHY' }, { backendService: { backendService: own }, healthState: 'HEALTHY' }] },
      { networkEndpoint: { ipAddress: '10.0.0.2', port: 8080 }, healths: [{ backendService: { backendService: other }, healthState: 'HEALTHY' }] },
      { networkEndpoint: { ipAddress: '10.0.0.3', port: 8080 } },
    ],
    'sl-1-bs',
  );
  assert.deepEqual(
    out.map((s) => `${s.servicePort} ${s.ip}:${s.port} ${s.health} w${s.weight}`),
    ['http 10.0.0.1:8080 healthy w1', 'alt 10.0.0.1:8080 healthy w1', 'http 10.0.0.2:8080 initial w1', 'alt 10.0.0.2:8080 initial w1', 'http 10.0.0.3:8080 initial w1', 'alt 10.0.0.3:8080 initial w1'],
  );
  assert.equal(namesBackendService(own, 'sl-1-bs'), true);
  assert.equal(namesBackendService(own, '1-bs'), false);
});
