import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isRetryableError, isTerminalError } from '@sluice/core';
import { ResourceNames } from './names.ts';
import { ownerDescription } from './ownership.ts';
import { backend, type Harness, PROJECT, REGION, service, startHarness } from './test-support/harness.ts';

const signal = () => new AbortController().signal;
const names = (uid = 'uid-1') => new ResourceNames('c1', { uid }, REGION);
const negPath = (zone: string, uid = 'uid-1') => `projects/${PROJECT}/zones/${zone}/networkEndpointGroups/${names(uid).neg(zone)}`;

describe('GcpLoadBalancer against the Compute fake', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('ensureLoadBalancer creates health check, NEG, backend service, proxy and forwarding rule, and reports the IP', async () => {
    const svc = service();
    const status = await h.provider.ensureLoadBalancer('c1', svc, [backend(0), backend(1)], signal());
    const n = names();
    const bs = h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/backendServices/${n.backendService}`);
    assert.ok(bs);
    assert.equal(bs['loadBalancingScheme'], 'EXTERNAL_MANAGED');
    assert.equal(bs['protocol'], 'TCP');
    assert.deepEqual(bs['connectionDraining'], { drainingTimeoutSec: 300 });
    assert.deepEqual(bs['backends'], [{ group: negPath(`${REGION}-b`), balancingMode: 'CONNECTION', maxConnectionsPerEndpoint: 1000 }]);
    assert.equal(bs['description'], ownerDescription('c1', svc));
    const hc = h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/healthChecks/${n.healthCheck}`);
    assert.equal(hc?.['checkIntervalSec'], 5);
    const rule = h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/forwardingRules/${n.forwardingRule(80)}`);
    assert.equal(rule?.['portRange'], '80');
    assert.equal(rule?.['target'], `projects/${PROJECT}/regions/${REGION}/targetTcpProxies/${n.proxy(80)}`);
    assert.deepEqual(h.fake.endpoints.get(negPath(`${REGION}-b`))?.map((e) => `${e.ipAddress}:${e.port}@${e.instance}`), ['10.8.0.1:8080@node-0', '10.8.0.2:8080@node-1']);
    assert.equal(status.ingress.length, 1);
    assert.deepEqual(status.ingress[0]?.ports, [{ port: 80, protocol: 'TCP' }]);
    assert.match(status.ingress[0]?.ip ?? '', /^203\.0\.113\.\d+$/);
    assert.ok(h.log.lines.some((l) => l.message === 'gcp call' && l.fields?.['operation'] === 'regionBackendServices.insert'));
    // Operations were RUNNING once and waited on.
    assert.ok(h.fake.calls.some((c) => c.path.endsWith('/wait') && c.path.includes('/zones/')));
    assert.ok(h.fake.calls.some((c) => c.path.endsWith('/wait') && c.path.includes('/regions/')));
  });

  test('an idle ensure makes no write', async () => {
    const before = h.fake.calls.length;
    await h.provider.ensureLoadBalancer('c1', service(), [backend(0), backend(1)], signal());
    assert.ok(h.fake.calls.length > before);
    assert.deepEqual(h.fake.writes(before), []);
  });

  test('getLoadBalancer reports the forwarding rule IP', async () => {
    const got = await h.provider.getLoadBalancer('c1', service(), signal());
    assert.equal(got.exists, true);
    assert.equal(got.status?.ingress.length, 1);
    assert.deepEqual(await h.provider.getLoadBalancer('c1', service({ uid: 'other' }), signal()), { exists: false });
  });

  test('update drains by detaching weight-0 endpoints and adds a NEG for a new zone to the backend service', async () => {
    await h.provider.updateLoadBalancer('c1', service(), [backend(0, { weight: 0 }), backend(1), backend(2, { zone: `${REGION}-c` })], signal());
    assert.deepEqual(h.fake.endpoints.get(negPath(`${REGION}-b`))?.map((e) => e.ipAddress), ['10.8.0.2']);
    assert.deepEqual(h.fake.endpoints.get(negPath(`${REGION}-c`))?.map((e) => e.ipAddress), ['10.8.0.3']);
    const bs = h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/backendServices/${names().backendService}`);
    assert.deepEqual((bs!['backends'] as { group: string }[]).map((b) => b.group), [negPath(`${REGION}-b`), negPath(`${REGION}-c`)]);
  });

  test('getBackendHealth maps HEALTHY, UNHEALTHY and unreported endpoints; detached ones are absent', async () => {
    h.fake.health.set('10.8.0.2|8080', 'HEALTHY');
    h.fake.health.set('10.8.0.3|8080', 'UNHEALTHY');
    const got = await h.provider.getBackendHealth('c1', service(), signal());
    assert.deepEqual(
      got.map((s) => `${s.servicePort} ${s.ip}:${s.port} ${s.health}`),
      ['http 10.8.0.2:8080 healthy', 'http 10.8.0.3:8080 unhealthy'],
    );
    h.fake.health.delete('10.8.0.3|8080');
    const again = await h.provider.getBackendHealth('c1', service(), signal());
    assert.equal(again.find((s) => s.ip === '10.8.0.3')?.health, 'initial');
  });

  test('a stale fingerprint (412) is re-read and retried', async () => {
    h.fake.failNext('PUT', '/backendServices/', 412, 'conditionNotMet', 'Supplied fingerprint does not match current metadata fingerprint.');
    await h.provider.updateLoadBalancer('c1', service(), [backend(1), backend(2, { zone: `${REGION}-c` }), backend(3, { zone: `${REGION}-d` })], signal());
    const puts = h.fake.calls.filter((c) => c.method === 'PUT' && c.path.includes('/backendServices/'));
    assert.ok(puts.length >= 2);
    const bs = h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/backendServices/${names().backendService}`);
    assert.equal((bs!['backends'] as unknown[]).length, 3);
  });

  test('ensureLoadBalancerDeleted removes everything in dependency order and is idempotent', async () => {
    const start = h.fake.calls.length;
    await h.provider.ensureLoadBalancerDeleted('c1', service(), signal());
    const deletes = h.fake.calls.slice(start).filter((c) => c.method === 'DELETE').map((c) => c.path.split('/').at(-2));
    assert.deepEqual(deletes, ['forwardingRules', 'targetTcpProxies', 'backendServices', 'networkEndpointGroups', 'networkEndpointGroups', 'networkEndpointGroups', 'healthChecks', 'addresses']);
    assert.equal([...h.fake.resources.keys()].filter((k) => k.includes(names().prefix)).length, 0);
    await h.provider.ensureLoadBalancerDeleted('c1', service(), signal());
    assert.deepEqual(await h.provider.getBackendHealth('c1', service(), signal()), []);
  });
});

describe('GcpLoadBalancer ownership, batching and errors', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { pageSize: 300 });
  });
  after(async () => {
    await h.close();
  });

  test('1200 endpoints are attached in batches of 500, 500 and 200; health reads paged lists', async () => {
    const backends = Array.from({ length: 1200 }, (_, i) => backend(i));
    await h.provider.ensureLoadBalancer('c1', service({ uid: 'big' }), backends, signal());
    const sizes = h.fake.calls.filter((c) => c.path.endsWith('/attachNetworkEndpoints')).map((c) => (c.body!['networkEndpoints'] as unknown[]).length);
    assert.deepEqual(sizes, [500, 500, 200]);
    const before = h.fake.calls.length;
    await h.provider.updateLoadBalancer('c1', service({ uid: 'big' }), backends, signal());
    assert.deepEqual(h.fake.calls.slice(before), [], 'an unchanged update after the ensure reads and writes nothing');
    const health = await h.provider.getBackendHealth('c1', service({ uid: 'big' }), signal());
    assert.equal(health.length, 1200);
    const lists = h.fake.calls.slice(before).filter((c) => c.path.endsWith('/listNetworkEndpoints'));
    assert.equal(lists.length, 4, 'the health read lists pages of 300');
    await h.provider.updateLoadBalancer('c1', service({ uid: 'big' }), [], signal());
    const detach = h.fake.calls.filter((c) => c.path.endsWith('/detachNetworkEndpoints')).map((c) => (c.body!['networkEndpoints'] as unknown[]).length);
    assert.deepEqual(detach, [500, 500, 200]);
  });

  test('a resource with the Service name but another owner is refused and never deleted', async () => {
    const n = names('foreign');
    const path = `projects/${PROJECT}/regions/${REGION}/healthChecks/${n.healthCheck}`;
    h.fake.seed(path, { name: n.healthCheck, description: ownerDescription('other-cluster', { namespace: 'shop', name: 'web', uid: 'foreign' }), type: 'TCP' });
    await assert.rejects(h.provider.ensureLoadBalancer('c1', service({ uid: 'foreign' }), [], signal()), (e: unknown) => isTerminalError(e) && /not owned by Service shop\/web of cluster c1/.test((e as Error).message));
    await h.provider.ensureLoadBalancerDeleted('c1', service({ uid: 'foreign' }), signal());
    assert.ok(h.fake.resources.has(path));
    assert.ok(h.log.lines.some((l) => l.level === 'warn' && l.fields?.['name'] === n.healthCheck));
  });

  test('errors are classified: 429 and 503 retryable, 400 terminal with Google\'s reason', async () => {
    h.fake.failNext('GET', '/backendServices/', 429, 'rateLimitExceeded', 'Rate Limit Exceeded');
    await assert.rejects(h.provider.getBackendHealth('c1', service(), signal()), (e: unknown) => isRetryableError(e) && /throttled/.test((e as Error).message));
    h.fake.failNext('GET', '/backendServices/', 403, 'rateLimitExceeded', 'Rate Limit Exceeded');
    await assert.rejects(h.provider.getBackendHealth('c1', service(), signal()), (e: unknown) => isRetryableError(e));
    h.fake.failNext('GET', '/backendServices/', 503, 'backendError', 'busy');
    await assert.rejects(h.provider.getBackendHealth('c1', service(), signal()), (e: unknown) => isRetryableError(e) && (e as Error).cause !== undefined);
    h.fake.failNext('POST', '/healthChecks', 400, 'invalid', 'Invalid value for field resource.checkIntervalSec');
    await assert.rejects(
      h.provider.ensureLoadBalancer('c1', service({ uid: 'bad' }), [], signal()),
      (e: unknown) => isTerminalError(e) && (e as Error).message === 'Google rejected regionHealthChecks.insert: invalid: Invalid value for field resource.checkIntervalSec',
    );
  });

  test('updateLoadBalancer before ensure is retryable; an aborted signal rejects with its reason', async () => {
    await assert.rejects(h.provider.updateLoadBalancer('c1', service({ uid: 'none' }), [backend(0)], signal()), (e: unknown) => isRetryableError(e));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(h.provider.getLoadBalancer('c1', service(), ac.signal), /stop/);
  });
});

describe('health reads and their cache', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ healthCheckIntervalSeconds: 2 });
  });
  after(async () => {
    await h.close();
  });
  const two = [backend(0), backend(1, { zone: `${REGION}-c` })];
  const since = (from: number) => h.fake.calls.slice(from).map((c) => `${c.method} ${c.path.split('/').slice(-2).join('/')}`);

  test('the provider interval is the capability the core polls by and what unannotated health checks get', async () => {
    assert.equal(h.provider.capabilities.healthCheckIntervalMs, 2_000);
    await h.provider.ensureLoadBalancer('c1', service(), two, signal());
    assert.equal(h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/healthChecks/${names().healthCheck}`)?.['checkIntervalSec'], 2);
  });

  test('a poll is one listNetworkEndpoints (SHOW) per NEG; updates between polls read nothing and their writes count', async () => {
    const start = h.fake.calls.length;
    for (let poll = 0; poll < 3; poll++) {
      h.fake.health.set(`10.8.0.${poll + 3}|8080`, 'HEALTHY');
      await h.provider.getBackendHealth('c1', service(), signal());
      await h.provider.updateLoadBalancer('c1', service(), [...two, backend(poll + 2)], signal());
    }
    const calls = since(start);
    const lists = calls.filter((c) => c.endsWith('/listNetworkEndpoints'));
    assert.equal(lists.length, 6, `3 polls x 2 NEGs: ${calls.join(', ')}`);
    assert.ok(h.fake.calls.slice(start).filter((c) => c.path.endsWith('/listNetworkEndpoints')).every((c) => c.body?.['healthStatus'] === 'SHOW'));
    assert.deepEqual(
      calls.filter((c) => c.startsWith('GET ')),
      [],
      'no backend service read: the ensure left the NEGs in the cache',
    );
    assert.equal(calls.filter((c) => c.endsWith('/attachNetworkEndpoints')).length, 3);
    assert.equal(calls.filter((c) => c.endsWith('/detachNetworkEndpoints')).length, 2);
    const health = await h.provider.getBackendHealth('c1', service(), signal());
    assert.deepEqual(health.map((s) => `${s.ip} ${s.health}`).sort(), ['10.8.0.1 initial', '10.8.0.2 initial', '10.8.0.5 healthy']);
  });

  test('an endpoint detached by hand is attached again once the next health read shows it gone', async () => {
    await h.provider.getBackendHealth('c1', service(), signal());
    const neg = negPath(`${REGION}-b`);
    h.fake.endpoints.set(neg, (h.fake.endpoints.get(neg) ?? []).filter((e) => e.ipAddress !== '10.8.0.1'));
    const start = h.fake.calls.length;
    await h.provider.updateLoadBalancer('c1', service(), [...two, backend(4)], signal());
    assert.deepEqual(since(start), [], 'unseen until the next health read');
    await h.provider.getBackendHealth('c1', service(), signal());
    await h.provider.updateLoadBalancer('c1', service(), [...two, backend(4)], signal());
    assert.ok(h.fake.endpoints.get(neg)?.some((e) => e.ipAddress === '10.8.0.1'));
  });

  test('a failed read forgets the Service: the next poll reads the backend service again; getLoadBalancer does too', async () => {
    h.fake.failNext('POST', '/listNetworkEndpoints', 503, 'backendError', 'busy');
    await assert.rejects(h.provider.getBackendHealth('c1', service(), signal()), (e: unknown) => isRetryableError(e));
    let start = h.fake.calls.length;
    await h.provider.getBackendHealth('c1', service(), signal());
    assert.deepEqual(since(start).filter((c) => c.startsWith('GET ')), [`GET backendServices/${names().backendService}`]);
    start = h.fake.calls.length;
    await h.provider.getLoadBalancer('c1', service(), signal());
    await h.provider.getBackendHealth('c1', service(), signal());
    await h.provider.updateLoadBalancer('c1', service(), [...two, backend(4)], signal());
    assert.equal(since(start).filter((c) => c.startsWith('GET ') && c.includes('backendServices')).length, 1, 'getLoadBalancer read it for the polls and updates that follow');
  });
});

describe('operation deadline', () => {
  test('an operation still RUNNING at its deadline is a retryable error', async () => {
    const h = await startHarness({ operationTimeoutMs: 1 }, { runningWaits: 1_000_000 });
    try {
      await assert.rejects(h.provider.ensureLoadBalancer('c1', service(), [], signal()), (e: unknown) => isRetryableError(e) && /did not finish within 1 ms/.test((e as Error).message));
    } finally {
      await h.close();
    }
  });
});
