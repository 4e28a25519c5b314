import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucket, perWindow } from '../kit/limits.ts';
import { RateLimiter } from '../kit/rate-limiter.ts';
import { ARM_DEFAULT_LIMITS, type ArmCall, armCharges, subscriptionRequestsThrottled } from './arm-throttling.ts';

const SUB = '00000000-0000-0000-0000-0000000000AA';
const LB = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/loadBalancers/:loadBalancerName';
const RG = '/subscriptions/:subscriptionId/resourcegroups/:resourceGroupName';
const call = (method: string, pattern = LB, principal = 'app-1'): ArmCall => ({ method, pattern, subscriptionId: SUB, principal });

describe('ARM throttling', () => {
  it('defaults to the documented buckets and network provider windows', () => {
    assert.deepEqual(ARM_DEFAULT_LIMITS, {
      subscriptionReads: bucket(250, 25),
      subscriptionWrites: bucket(200, 10),
      subscriptionDeletes: bucket(200, 10),
      subscriptionGlobalReads: bucket(3_750, 375),
      subscriptionGlobalWrites: bucket(3_000, 150),
      subscriptionGlobalDeletes: bucket(3_000, 150),
      networkReads: perWindow(10_000, 300_000),
      networkWrites: perWindow(1_000, 300_000),
    });
  });

  const sub = SUB.toLowerCase();
  const cases: { name: string; call: ArmCall; want: string[] }[] = [
    { name: 'a GET is a read, per principal and subscription-wide, and a network read', call: call('GET'), want: [`subscriptionReads ${sub}/app-1`, `subscriptionGlobalReads ${sub}`, `networkReads ${sub}`] },
    { name: 'a PUT is a write', call: call('PUT'), want: [`subscriptionWrites ${sub}/app-1`, `subscriptionGlobalWrites ${sub}`, `networkWrites ${sub}`] },
    { name: 'a POST action is a write', call: call('POST'), want: [`subscriptionWrites ${sub}/app-1`, `subscriptionGlobalWrites ${sub}`, `networkWrites ${sub}`] },
    { name: 'a DELETE is a delete, and a network write', call: call('DELETE'), want: [`subscriptionDeletes ${sub}/app-1`, `subscriptionGlobalDeletes ${sub}`, `networkWrites ${sub}`] },
    { name: 'a resource group call is not the network provider’s', call: call('DELETE', RG), want: [`subscriptionDeletes ${sub}/app-1`, `subscriptionGlobalDeletes ${sub}`] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        armCharges(c.call).map((x) => `${x.limit} ${x.scope}`),
        c.want,
      );
    });
  }

  it('gives each principal its own bucket under the shared subscription bucket', () => {
    const limiter = new RateLimiter({ now: () => 0, limits: { subscriptionReads: bucket(1, 1), subscriptionGlobalReads: bucket(2, 1) } });
    assert.equal(limiter.take(armCharges(call('GET', LB, 'a'))).allowed, true);
    assert.equal(limiter.take(armCharges(call('GET', LB, 'a'))).allowed, false, 'principal a is out of reads');
    assert.equal(limiter.take(armCharges(call('GET', LB, 'b'))).allowed, true, 'principal b still has its own');
    const d = limiter.take(armCharges(call('GET', LB, 'c')));
    assert.equal(d.allowed === false && d.limit, 'subscriptionGlobalReads', 'the subscription is out for everyone');
  });

  it('answers 429 SubscriptionRequestsThrottled with Retry-After in whole seconds', () => {
    const e = subscriptionRequestsThrottled(call('PUT'), { allowed: false, limit: 'subscriptionWrites', scope: '', retryAfterMs: 100 });
    assert.equal(e.status, 429);
    assert.equal(e.code, 'SubscriptionRequestsThrottled');
    assert.equal(e.headers['Retry-After'], '1');
    assert.match(e.message, /^Number of 'write' requests for subscription '.*' actor 'app-1' exceeded\. Please try again after '1' seconds/);
    const net = subscriptionRequestsThrottled(call('GET'), { allowed: false, limit: 'networkReads', scope: '', retryAfterMs: 42_500 });
    assert.equal(net.headers['Retry-After'], '43');
    assert.match(net.message, /and operation 'GET\/SUBSCRIPTIONS\/RESOURCEGROUPS\/PROVIDERS\/MICROSOFT\.NETWORK\/LOADBALANCERS' exceeded the backend storage limit/);
  });
});
