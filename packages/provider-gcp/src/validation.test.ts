import assert from 'node:assert/strict';
import { test } from 'node:test';
import { service } from './test-support/harness.ts';
import { validateService } from './validation.ts';

test('UDP is refused naming the port', () => {
  const problems = validateService(service({ ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }] }), false);
  assert.deepEqual(problems, [
    {
      field: 'spec.ports[0].protocol',
      message: 'Service shop/web spec.ports[0].protocol="UDP" (port 53) is not supported by the gcp provider: the proxy Network Load Balancer allows TCP only.',
    },
  ]);
});

test('every Service port must share one target port', () => {
  const ports = [
    { name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 },
    { name: 'https', port: 443, protocol: 'TCP' as const, targetPort: 8443 },
  ];
  assert.deepEqual(
    validateService(service({ ports }), false).map((p) => p.message),
    [
      'Service shop/web spec.ports[1].targetPort="8443" differs from spec.ports[0].targetPort="8080": the gcp provider sends every Service port to one backend service, so all ports must share one target port.',
    ],
  );
  assert.deepEqual(validateService(service({ ports: ports.map((p) => ({ ...p, targetPort: 'web' })) }), false), []);
});

test('internal needs a subnetwork', () => {
  const svc = service({ annotations: { 'sluice.dev/gcp-internal': 'true' } });
  assert.deepEqual(
    validateService(svc, false).map((p) => p.message),
    ['Service shop/web annotation sluice.dev/gcp-internal="true" needs a subnetwork: pass --gcp-subnetwork or set the GCP_SUBNETWORK environment variable.'],
  );
  assert.deepEqual(validateService(svc, true), []);
});
