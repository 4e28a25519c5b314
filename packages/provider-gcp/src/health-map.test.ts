import assert from 'node:assert/strict';
import { test } from 'node:test';
import { healthStateOf, toBackendStatuses } from './health-map.ts';

test('health states map to Sluice states', () => {
  assert.deepEqual(['HEALTHY', 'UNHEALTHY', 'UNKNOWN', 'DRAINING', undefined].map(healthStateOf), ['healthy', 'unhealthy', 'initial', 'initial', 'initial']);
});

test('each attached endpoint is reported for every Service port; unreported ones are initial', () => {
  const ports = [
    { name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 },
    { name: 'alt', port: 8000, protocol: 'TCP' as const, targetPort: 8080 },
  ];
  const out = toBackendStatuses({ ports }, [{ ipAddress: '10.0.0.1', port: 8080 }, { ipAddress: '10.0.0.2', port: 8080 }], [{ ipAddress: '10.0.0.1', port: 8080, healthState: 'HEALTHY' }, { ipAddress: '10.0.0.9', port: 8080, healthState: 'HEALTHY' }]);
  assert.deepEqual(
    out.map((s) => `${s.servicePort} ${s.ip}:${s.port} ${s.health} w${s.weight}`),
    ['http 10.0.0.1:8080 healthy w1', 'alt 10.0.0.1:8080 healthy w1', 'http 10.0.0.2:8080 initial w1', 'alt 10.0.0.2:8080 initial w1'],
  );
});
