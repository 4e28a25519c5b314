/**
 * The client the provider builds itself (no injected client): the ARM endpoint, the
 * token, the SDK retry policy, and the exact environment an e2e run uses against an HTTPS
 * test server with a self-signed CA and a token from DefaultAzureCredential.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LogLine, recordingLogger } from '@sluice/core/testing';
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import { startArmServer } from './test-support/arm-server.ts';
import { FakeArm } from './test-support/fake-arm.ts';
import { fakeOptions } from './test-support/harness.ts';
import { testCertificate } from './test-support/tls.ts';

const web = { namespace: 'shop', name: 'web', uid: 'uid-1', annotations: {}, ports: [{ name: 'http', port: 80, protocol: 'TCP' as const, targetPort: 8080 }] };

test('an http loopback endpoint works with the credential\'s token, and the SDK retries throttling maxRetries times', async () => {
  const fake = new FakeArm();
  const server = await startArmServer((req) => fake.handle(req), { http: true });
  const scopes: string[] = [];
  const credential = {
    getToken: async (scope: string | string[]) => {
      scopes.push(String(scope));
      return { token: fake.token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const lines: LogLine[] = [];
  try {
    fake.fail('loadBalancers.get', { status: 429, code: 'SubscriptionRequestsThrottled', headers: { 'Retry-After': '0' }, times: 2 });
    const provider = new AzureLoadBalancer({ clusterName: 'c1', ...fakeOptions(fake), credential, maxRetries: 2, pollIntervalMs: 1, log: recordingLogger(lines) }, { AZURE_ARM_ENDPOINT: server.endpoint });
    assert.deepEqual(await provider.getLoadBalancer('c1', web, AbortSignal.timeout(10_000)), { exists: false });
    assert.deepEqual(
      fake.calls.map((c) => c.operation),
      ['loadBalancers.get', 'loadBalancers.get', 'loadBalancers.get'],
      'two throttled answers retried by the SDK, then the 404',
    );
    assert.deepEqual(scopes.slice(0, 1), ['https://management.azure.com/.default'], 'a loopback test server stands in for ARM\'s token audience');
    assert.deepEqual(lines.filter((l) => l.message === 'azure call').map((l) => l.fields['operation']), ['loadBalancers.get'], 'one logical call');
  } finally {
    await server.close();
  }
});

test('e2e environment: HTTPS test server trusted through NODE_EXTRA_CA_CERTS, token from DefaultAzureCredential via AZURE_AUTHORITY_HOST', async () => {
  const fake = new FakeArm();
  const server = await startArmServer((req) => fake.handle(req));
  const index = new URL('./index.ts', import.meta.url).href;
  const script = `
    const { createAzureProvider } = await import(${JSON.stringify(index)});
    const lines = [];
    const log = { debug: (m, f) => lines.push(f?.operation), info() {}, warn() {}, error() {} };
    const provider = createAzureProvider({ clusterName: 'c1', log });
    const svc = ${JSON.stringify(web)};
    const status = await provider.ensureLoadBalancer('c1', svc, [{ servicePort: 'http', ip: '10.1.0.4', port: 8080, podUid: 'p', podName: 'p', weight: 1 }], AbortSignal.timeout(30000));
    console.log(JSON.stringify({ status, operations: lines.filter(Boolean) }));
  `;
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    NODE_EXTRA_CA_CERTS: testCertificate().certPath,
    AZURE_AUTHORITY_HOST: server.endpoint,
    // Only the environment credential: no managed-identity probe of 169.254.169.254, no developer tools.
    AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential',
    AZURE_TENANT_ID: fake.tenant,
    AZURE_CLIENT_ID: 'sluice-e2e',
    AZURE_CLIENT_SECRET: 'not-a-secret',
    AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
    AZURE_RESOURCE_GROUP: fake.resourceGroup,
    AZURE_LOCATION: fake.location,
    AZURE_VNET_ID: fake.vnetId,
    AZURE_ARM_ENDPOINT: server.endpoint,
    AZURE_POLL_INTERVAL_MS: '10',
  };
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@sluice/source', '--input-type=module', '-e', script],
        { env, cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const pip = [...fake.publicIps.values()][0];
    assert.deepEqual(result.status, { ingress: [{ ip: pip.properties.ipAddress }] });
    assert.ok(fake.tokensIssued >= 1, 'the token came from the fake identity endpoint');
    assert.equal(fake.loadBalancers.size, 1);
    assert.ok(result.operations.includes('loadBalancers.createOrUpdate'));
  } finally {
    await server.close();
  }
});
