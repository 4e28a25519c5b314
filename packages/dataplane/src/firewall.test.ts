import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInvalidSpecError } from './errors.ts';
import { evaluateFirewall, Firewall, type FirewallRule, type Flow, resolveFirewallRule } from './firewall.ts';

const toTarget = (address: string | undefined, port: number, tags: string[] = []): Flow => ({
  direction: 'to-target',
  source: { address, tags },
  destination: { address: '127.0.0.1', port },
});

test('the lowest priority number decides, whatever the insertion order', () => {
  const fw = new Firewall('allow');
  fw.put({ name: 'allow-lb', priority: 200, direction: 'to-target', action: 'allow', source: { cidrs: ['10.0.0.0/8'] } });
  fw.put({ name: 'deny-all', priority: 300, direction: 'to-target', action: 'deny' });
  fw.put({ name: 'deny-bad', priority: 100, direction: 'to-target', action: 'deny', source: { cidrs: ['10.6.6.0/24'] } });
  assert.deepEqual(fw.evaluate(toTarget('10.6.6.6', 80)), { action: 'deny', rule: 'deny-bad' });
  assert.deepEqual(fw.evaluate(toTarget('10.1.2.3', 80)), { action: 'allow', rule: 'allow-lb' });
  assert.deepEqual(fw.evaluate(toTarget('192.0.2.1', 80)), { action: 'deny', rule: 'deny-all' });
  assert.deepEqual(
    fw.policy.rules.map((r) => r.name),
    ['deny-bad', 'allow-lb', 'deny-all'],
  );
});

test('on equal priority a deny comes before an allow', () => {
  const policy = {
    defaultAction: 'allow' as const,
    rules: [
      resolveFirewallRule({ name: 'a-allow', priority: 10, direction: 'to-target', action: 'allow' }),
      resolveFirewallRule({ name: 'z-deny', priority: 10, direction: 'to-target', action: 'deny' }),
    ],
  };
  assert.deepEqual(evaluateFirewall(policy, toTarget('127.0.0.1', 80)), { action: 'deny', rule: 'z-deny' });
});

test('the default action applies when no rule matches, and direction separates the rule sets', () => {
  const fw = new Firewall('deny');
  fw.put({ name: 'clients', priority: 1, direction: 'to-listener', action: 'allow', source: { cidrs: ['0.0.0.0/0'] } });
  assert.deepEqual(fw.evaluate(toTarget('127.0.0.1', 80)), { action: 'deny', rule: undefined });
  assert.deepEqual(
    fw.evaluate({ direction: 'to-listener', source: { address: '::ffff:127.0.0.1' }, destination: { address: '127.0.0.1', port: 80 } }),
    { action: 'allow', rule: 'clients' },
  );
});

test('tags match sources and destinations; an unknown address matches no CIDR', () => {
  const fw = new Firewall('deny');
  fw.put({ name: 'probes', priority: 1, direction: 'to-target', action: 'allow', source: { tags: ['AzureLoadBalancer'] }, destination: { tags: ['web'] } });
  const flow = (tags: string[], destinationTags: string[]): Flow => ({
    direction: 'to-target',
    source: { address: undefined, tags },
    destination: { address: '127.0.0.1', port: 8080, tags: destinationTags },
  });
  assert.equal(fw.evaluate(flow(['AzureLoadBalancer'], ['web'])).action, 'allow');
  assert.equal(fw.evaluate(flow(['AzureLoadBalancer'], ['db'])).action, 'deny');
  assert.equal(fw.evaluate(flow([], ['web'])).action, 'deny');
  fw.put({ name: 'anyv4', priority: 2, direction: 'to-target', action: 'allow', source: { cidrs: ['0.0.0.0/0'] } });
  assert.equal(fw.evaluate(flow([], ['web'])).action, 'deny', 'an unknown source address is in no CIDR');
});

test('port lists and ranges limit a rule to those destination ports', () => {
  const fw = new Firewall('allow');
  fw.put({ name: 'block', priority: 1, direction: 'to-target', action: 'deny', ports: [22, '8000-8100'] });
  assert.equal(fw.evaluate(toTarget('127.0.0.1', 22)).action, 'deny');
  assert.equal(fw.evaluate(toTarget('127.0.0.1', 8050)).action, 'deny');
  assert.equal(fw.evaluate(toTarget('127.0.0.1', 8101)).action, 'allow');
  assert.deepEqual(fw.policy.rules[0]?.ports, ['22', '8000-8100']);
});

test('IPv6 CIDRs match IPv6 sources only', () => {
  const fw = new Firewall('allow');
  fw.put({ name: 'v6', priority: 1, direction: 'to-target', action: 'deny', source: { cidrs: ['::1/128'] } });
  assert.equal(fw.evaluate(toTarget('::1', 80)).action, 'deny');
  assert.equal(fw.evaluate(toTarget('127.0.0.1', 80)).action, 'allow');
});

test('putting a rule by an existing name replaces it; deleting removes it', () => {
  const fw = new Firewall('allow');
  fw.put({ name: 'r', priority: 1, direction: 'to-target', action: 'deny' });
  fw.put({ name: 'r', priority: 1, direction: 'to-target', action: 'allow' });
  assert.equal(fw.policy.rules.length, 1);
  assert.equal(fw.evaluate(toTarget('127.0.0.1', 1)).rule, 'r');
  assert.equal(fw.delete('r'), true);
  assert.equal(fw.delete('r'), false);
  assert.deepEqual(fw.evaluate(toTarget('127.0.0.1', 1)), { action: 'allow', rule: undefined });
});

const invalidRules: [string, unknown, RegExp][] = [
  ['a missing priority', { name: 'r', direction: 'to-target', action: 'deny' }, /^rule\.priority is missing, but it must be an integer from 0 to 2147483647/],
  ['a bad direction', { name: 'r', priority: 1, direction: 'inbound', action: 'deny' }, /^rule\.direction is "inbound", but it must be one of "to-listener", "to-target"\.$/],
  ['a bad CIDR', { name: 'r', priority: 1, direction: 'to-target', action: 'deny', source: { cidrs: ['10.0.0.0/33'] } }, /^rule\.source\.cidrs\[0\] is "10\.0\.0\.0\/33"/],
  ['a reversed port range', { name: 'r', priority: 1, direction: 'to-target', action: 'deny', ports: ['90-80'] }, /^rule\.ports\[0\] is "90-80"/],
  ['an unknown field', { name: 'r', priority: 1, direction: 'to-target', action: 'deny', protocol: 'tcp' }, /unknown field "protocol"/],
];

for (const [what, rule, message] of invalidRules) {
  test(`a rule with ${what} is refused with one sentence naming the field`, () => {
    assert.throws(
      () => new Firewall().put(rule as FirewallRule),
      (error: unknown) => isInvalidSpecError(error) && message.test((error as Error).message),
    );
  });
}
