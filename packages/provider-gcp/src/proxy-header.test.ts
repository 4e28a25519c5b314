import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { ResourceNames } from './names.ts';
import { ownerDescription } from './ownership.ts';
import { backend, type Harness, PROJECT, REGION, service, startHarness } from './test-support/harness.ts';

const signal = () => new AbortController().signal;
const PP = 'sluice.dev/gcp-proxy-protocol';

describe('sluice.dev/gcp-proxy-protocol sets the target TCP proxy header', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  const proxyOf = (uid: string, port = 80) => h.fake.resources.get(`projects/${PROJECT}/regions/${REGION}/targetTcpProxies/${new ResourceNames('c1', { uid }, REGION).proxy(port)}`);

  test('absent or "false" creates NONE, "true" creates PROXY_V1', async () => {
    await h.provider.ensureLoadBalancer('c1', service({ uid: 'pp-default' }), [backend(0)], signal());
    assert.equal(proxyOf('pp-default')?.['proxyHeader'], 'NONE');
    await h.provider.ensureLoadBalancer('c1', service({ uid: 'pp-off', annotations: { [PP]: 'false' } }), [backend(0)], signal());
    assert.equal(proxyOf('pp-off')?.['proxyHeader'], 'NONE');
    await h.provider.ensureLoadBalancer('c1', service({ uid: 'pp-on', annotations: { [PP]: 'true' } }), [backend(0)], signal());
    assert.equal(proxyOf('pp-on')?.['proxyHeader'], 'PROXY_V1');
  });

  test('an idle ensure with the header already right writes nothing', async () => {
    const start = h.fake.calls.length;
    await h.provider.ensureLoadBalancer('c1', service({ uid: 'pp-on', annotations: { [PP]: 'true' } }), [backend(0)], signal());
    assert.deepEqual(h.fake.writes(start), []);
  });

  test('a change behind a live forwarding rule is refused in one sentence, and the proxy and rule are left serving', async () => {
    const start = h.fake.calls.length;
    const svc = service({ uid: 'pp-on', annotations: { [PP]: 'false' } });
    const proxyName = new ResourceNames('c1', { uid: 'pp-on' }, REGION).proxy(80);
    await assert.rejects(h.provider.ensureLoadBalancer('c1', svc, [backend(0)], signal()), (e: unknown) => {
      assert.ok(isTerminalError(e));
      assert.equal(
        (e as Error).message,
        `Service shop/web annotation ${PP}="false" asks for proxyHeader NONE, but target TCP proxy ${proxyName} (port 80) has PROXY_V1 and Google cannot change a regional target TCP proxy's header in place, so set the annotation back or delete and re-create the Service (its IP changes).`,
      );
      return true;
    });
    assert.deepEqual(
      h.fake.writes(start).filter((c) => /targetTcpProxies|forwardingRules/.test(c.path)),
      [],
      'neither the proxy nor the forwarding rule was touched',
    );
    assert.equal(proxyOf('pp-on')?.['proxyHeader'], 'PROXY_V1');
  });

  test('a proxy with the wrong header and no forwarding rule yet carries no traffic: it is re-created', async () => {
    const svc = service({ uid: 'pp-orphan', annotations: { [PP]: 'true' } });
    const n = new ResourceNames('c1', { uid: 'pp-orphan' }, REGION);
    const bs = `projects/${PROJECT}/regions/${REGION}/backendServices/${n.backendService}`;
    h.fake.seed(`projects/${PROJECT}/regions/${REGION}/targetTcpProxies/${n.proxy(80)}`, {
      name: n.proxy(80),
      description: ownerDescription('c1', svc),
      service: bs,
      proxyHeader: 'NONE',
    });
    const start = h.fake.calls.length;
    const status = await h.provider.ensureLoadBalancer('c1', svc, [backend(0)], signal());
    assert.equal(proxyOf('pp-orphan')?.['proxyHeader'], 'PROXY_V1');
    const proxyWrites = h.fake.writes(start).filter((c) => c.path.includes('/targetTcpProxies'));
    assert.deepEqual(
      proxyWrites.map((c) => c.method),
      ['DELETE', 'POST'],
      'deleted, then inserted with PROXY_V1',
    );
    assert.equal(status.ingress.length, 1, 'and its forwarding rule was created');
  });

  test('validate names the annotation, the value and what is allowed', () => {
    assert.deepEqual(
      h.provider.validate(service({ annotations: { [PP]: 'v2' } })).map((p) => p.message),
      [`Service shop/web annotation ${PP}="v2" is invalid: allowed are true, false.`],
    );
  });
});
