/**
 * `sluice.dev/azure-load-balancer-name` is accepted only for load balancers the operator
 * allowed (option sharedLoadBalancers, flag --azure-shared-load-balancers): any other is one
 * sentence from validate, and ensure refuses it without a single ARM request.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTerminalError, type ServiceSpecView } from '@sluice/core';
import { AzureLoadBalancer } from './azure-load-balancer.ts';
import { resolveOptions } from './options.ts';
import { CLUSTER, service, signal, startHarness } from './test-support/harness.ts';
import { checkService, validateService } from './validation.ts';

const KEY = 'sluice.dev/azure-load-balancer-name';
const VNET = '/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet';
const ENV = { AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_RESOURCE_GROUP: 'rg-1', AZURE_LOCATION: 'westeurope', AZURE_VNET_ID: VNET };

const named = (lb: string, extra: Record<string, string> = {}): ServiceSpecView => service([{}], { [KEY]: lb, ...extra });
const refused = (lb: string, allowed: string) => ({
  field: `metadata.annotations[${KEY}]`,
  message: `Service shop/web annotation ${KEY}="${lb}" names a load balancer Sluice may not write into: ${allowed}.`,
});

describe('validate: a shared load balancer must be on the operator list', () => {
  const cases: [string, string, readonly string[] | undefined, unknown[]][] = [
    ['none allowed by default', 'team-b-lb', undefined, [refused('team-b-lb', 'no shared load balancer is allowed; an operator allows names with --azure-shared-load-balancers')]],
    ['none allowed, explicitly', 'team-b-lb', [], [refused('team-b-lb', 'no shared load balancer is allowed; an operator allows names with --azure-shared-load-balancers')]],
    ['one other name allowed', 'team-b-lb', ['lb-shared'], [refused('team-b-lb', 'allowed is lb-shared (set by --azure-shared-load-balancers)')]],
    ['two other names allowed', 'team-b-lb', ['lb-a', 'lb-b'], [refused('team-b-lb', 'allowed are lb-a, lb-b (set by --azure-shared-load-balancers)')]],
    ['a prefix of an allowed name is not it', 'lb', ['lb-a'], [refused('lb', 'allowed is lb-a (set by --azure-shared-load-balancers)')]],
    ['on the list', 'lb-b', ['lb-a', 'lb-b'], []],
    ['on the list in another case (Azure names are case-insensitive)', 'LB-B', ['lb-a', 'lb-b'], []],
    ['surrounding spaces are ignored, as for every annotation', ' lb-a ', ['lb-a'], []],
  ];
  for (const [name, lb, allowed, expected] of cases) {
    test(name, () => {
      const policy = allowed === undefined ? {} : { sharedLoadBalancers: allowed };
      assert.deepEqual(validateService(named(lb), policy), expected);
      assert.deepEqual(checkService(named(lb), policy).problems, expected, 'ensure checks the same');
    });
  }

  test('a malformed name is reported once, as malformed, not also as not allowed', () => {
    const problems = validateService(named('lb/x'), { sharedLoadBalancers: ['lb-a'] });
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /="lb\/x" is invalid: allowed is the name of a Standard load balancer/);
  });

  test('a Service without the annotation needs no list', () => {
    assert.deepEqual(validateService(service([{}]), {}), []);
  });
});

test("the provider's validate uses its sharedLoadBalancers option", () => {
  const none = new AzureLoadBalancer({ clusterName: 'c1' }, ENV);
  assert.equal(none.validate(named('lb-a')).length, 1);
  const some = new AzureLoadBalancer({ clusterName: 'c1', sharedLoadBalancers: ['lb-a'] }, ENV);
  assert.deepEqual(some.validate(named('lb-a')), []);
  assert.deepEqual(
    some.validate(named('lb-z')).map((p) => p.message),
    [`Service shop/web annotation ${KEY}="lb-z" names a load balancer Sluice may not write into: allowed is lb-a (set by --azure-shared-load-balancers).`],
  );
});

test('option sharedLoadBalancers: valid Azure names only, one sentence naming flag, option and value', () => {
  assert.deepEqual(resolveOptions({ clusterName: 'c1', sharedLoadBalancers: ['lb-a', 'LB_b.2'] }, ENV).sharedLoadBalancers, ['lb-a', 'LB_b.2']);
  for (const bad of ['', '-lb', 'lb.', 'rg/lb', 'a'.repeat(81)]) {
    assert.throws(
      () => resolveOptions({ clusterName: 'c1', sharedLoadBalancers: ['lb-a', bad] }, ENV),
      (e: unknown) =>
        isTerminalError(e) &&
        (e as Error).message ===
          `Azure provider --azure-shared-load-balancers (option sharedLoadBalancers) has ${JSON.stringify(bad)}, but each must be a load balancer name of 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore.`,
      bad,
    );
  }
});

test('ensure refuses a shared load balancer that is not allowed before any ARM request; the allowed one works', async () => {
  const h = await startHarness({ sharedLoadBalancers: ['lb-shared'] });
  try {
    // The foreign team's load balancer exists; the Service names it.
    const foreign = named('team-b-lb');
    await assert.rejects(
      h.provider.ensureLoadBalancer(CLUSTER, foreign, [], signal),
      (e: unknown) => isTerminalError(e) && /annotation sluice\.dev\/azure-load-balancer-name="team-b-lb" names a load balancer Sluice may not write into: allowed is lb-shared/.test((e as Error).message),
    );
    assert.deepEqual(h.fake.calls, [], 'no request reached ARM');
    await h.provider.ensureLoadBalancer(CLUSTER, named('lb-shared'), [], signal);
    assert.ok(h.fake.loadBalancers.get('lb-shared'), 'the allowed shared load balancer was created');
  } finally {
    await h.close();
  }
});
