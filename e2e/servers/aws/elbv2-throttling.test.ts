import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucket } from '../kit/limits.ts';
import { ELB_DEFAULT_LIMITS, elbCategory, elbCharges } from './elbv2-throttling.ts';
import { queryErrorResponse, serviceError, throttling } from './query-errors.ts';

describe('ELBv2 throttling', () => {
  it('defaults to the documented buckets', () => {
    assert.deepEqual(ELB_DEFAULT_LIMITS, {
      account: bucket(40, 10),
      resourceIntensive: bucket(10, 0.2),
      registration: bucket(20, 4),
      nonMutating: bucket(40, 10),
      mutating: bucket(20, 3),
      getActions: bucket(20, 4),
    });
  });

  const cases: [string, string][] = [
    ['CreateLoadBalancer', 'resourceIntensive'],
    ['SetSubnets', 'resourceIntensive'],
    ['RegisterTargets', 'registration'],
    ['DeregisterTargets', 'registration'],
    ['DescribeTargetHealth', 'nonMutating'],
    ['DescribeTags', 'nonMutating'],
    ['GetResourcePolicy', 'getActions'],
    ['CreateTargetGroup', 'mutating'],
    ['ModifyTargetGroupAttributes', 'mutating'],
    ['DeleteLoadBalancer', 'mutating'],
    ['SetSecurityGroups', 'mutating'],
  ];
  for (const [action, category] of cases) it(`${action} is ${category}`, () => assert.equal(elbCategory(action), category));

  it('charges the account bucket and the category bucket of the account and Region', () => {
    assert.deepEqual(elbCharges('RegisterTargets', '123456789012', 'eu-west-1'), [
      { limit: 'account', scope: '123456789012/eu-west-1' },
      { limit: 'registration', scope: '123456789012/eu-west-1' },
    ]);
  });

  it('renders the query protocol error XML', () => {
    const r = queryErrorResponse(throttling());
    assert.equal(r.status, 400);
    assert.match(r.body, /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    assert.equal(r.headers['x-amzn-RequestId'], /<RequestId>(.*)<\/RequestId>/.exec(r.body)?.[1]);
    assert.equal(queryErrorResponse(throttling('ThrottlingException')).body.includes('<Code>ThrottlingException</Code>'), true);
    assert.deepEqual([serviceError(503).code, serviceError(500).code, serviceError(502).code], ['ServiceUnavailable', 'InternalFailure', 'InternalFailure']);
  });
});
