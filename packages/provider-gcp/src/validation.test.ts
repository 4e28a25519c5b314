import assert from 'node:assert/strict';
import { test } from 'node:test';
import { service } from './test-support/harness.ts';
import { validateService } from './validation.ts';

test('UDP is refused naming the port, its protocol and that the proxy NLB carries TCP only', () => {
  const ports = [
    { name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 53 },
    { name: 'dns', port: 53, protocol: 'UDP' as const, targetPort: 53 },
  ];
  assert.deepEqual(validateService(service({ ports }), false), [
    {
      field: 'spec.ports[1].protocol',
      message:
        'Service shop/web port 53 (spec.ports[1]) has protocol UDP, but the gcp provider builds a regional proxy Network Load Balancer, which carries TCP only (UDP needs a passthrough Network Load Balancer, which Sluice does not build).',
    },
  ]);
});

test('SCTP keeps the generic sentence', () => {
  const problems = validateService(service({ ports: [{ name: 's', port: 9, protocol: 'SCTP', targetPort: 9 }] }), false);
  assert.deepEqual(
    problems.map((p) => p.message),
    ['Service shop/web spec.ports[0].protocol="SCTP" (port 9) is not supported by the gcp provider: the proxy Network Load Balancer allows TCP only.'],
  );
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
