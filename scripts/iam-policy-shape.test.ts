import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PROVIDER_TAG_KEYS } from './check-iam-policy.ts';
import { allowedActions, checkPolicyShape } from './iam-policy-shape.ts';

const OPTIONS = { clusterTagKey: 'sluice.dev/cluster', tagKeys: ['sluice.dev/cluster', 'sluice.dev/managed-by'] };
const TAG_KEYS = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['sluice.dev/cluster', 'sluice.dev/managed-by'] } };
const TG = 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*';

type Statement = Record<string, unknown>;
const describe: Statement = { Effect: 'Allow', Action: ['elasticloadbalancing:DescribeTargetGroups', 'ec2:DescribeSubnets'], Resource: '*' };
const create: Statement = {
  Sid: 'Create',
  Effect: 'Allow',
  Action: 'elasticloadbalancing:CreateTargetGroup',
  Resource: TG,
  Condition: { StringEquals: { 'aws:RequestTag/sluice.dev/cluster': 'prod' }, ...TAG_KEYS },
};
const tagAtCreation: Statement = {
  Sid: 'Tag',
  Effect: 'Allow',
  Action: 'elasticloadbalancing:AddTags',
  Resource: TG,
  Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateTargetGroup', 'aws:RequestTag/sluice.dev/cluster': 'prod' }, ...TAG_KEYS },
};
const change: Statement = {
  Sid: 'Change',
  Effect: 'Allow',
  Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeleteTargetGroup'],
  Resource: TG,
  Condition: { StringEquals: { 'aws:ResourceTag/sluice.dev/cluster': 'prod' } },
};
const policy = (...Statement: Statement[]) => ({ Version: '2012-10-17', Statement });
const good = policy(describe, create, tagAtCreation, change);

test('the repository policy passes the shape check with the tag keys the provider writes', () => {
  const repoPolicy = JSON.parse(readFileSync(new URL('../deploy/aws/iam-policy.json', import.meta.url), 'utf8')) as unknown;
  assert.deepEqual(checkPolicyShape(repoPolicy, { clusterTagKey: 'sluice.dev/cluster', tagKeys: PROVIDER_TAG_KEYS }), []);
  assert.ok(allowedActions(repoPolicy).includes('elasticloadbalancing:AddTags'));
});

test('a policy whose every write is tag-conditioned passes; Describe* needs no condition', () => {
  assert.deepEqual(checkPolicyShape(good, OPTIONS), []);
  assert.deepEqual(allowedActions(good), [
    'ec2:DescribeSubnets',
    'elasticloadbalancing:AddTags',
    'elasticloadbalancing:CreateTargetGroup',
    'elasticloadbalancing:DeleteTargetGroup',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:RegisterTargets',
  ]);
});

const refused: [string, unknown, RegExp[]][] = [
  [
    'a write with no condition is refused, naming each action',
    policy(describe, create, tagAtCreation, { ...change, Condition: undefined }),
    [
      /statement 4 \(Change\): elasticloadbalancing:RegisterTargets is allowed without a condition on the sluice\.dev\/cluster tag/,
      /statement 4 \(Change\): elasticloadbalancing:DeleteTargetGroup is allowed without a condition on the sluice\.dev\/cluster tag/,
    ],
  ],
  [
    'a condition on another tag does not count',
    policy({ ...change, Condition: { StringEquals: { 'aws:ResourceTag/owner': 'prod' } } }),
    [/RegisterTargets is allowed without a condition/, /DeleteTargetGroup is allowed without a condition/],
  ],
  [
    'StringEqualsIfExists does not count: it passes when the tag is absent',
    policy({ ...change, Condition: { StringEqualsIfExists: { 'aws:ResourceTag/sluice.dev/cluster': 'prod' } } }),
    [/RegisterTargets is allowed without a condition/, /DeleteTargetGroup is allowed without a condition/],
  ],
  [
    'Null "true" (the tag must be absent) does not count',
    policy({ ...change, Condition: { Null: { 'aws:ResourceTag/sluice.dev/cluster': 'true' } } }),
    [/RegisterTargets is allowed without a condition/, /DeleteTargetGroup is allowed without a condition/],
  ],
  ['a write on Resource "*" is refused', policy({ ...change, Resource: '*' }), [/RegisterTargets is allowed on Resource "\*"/, /DeleteTargetGroup is allowed on Resource "\*"/]],
  [
    'AddTags without CreateAction could re-tag existing resources',
    policy(describe, create, { ...tagAtCreation, Condition: { StringEquals: { 'aws:RequestTag/sluice.dev/cluster': 'prod' }, ...TAG_KEYS } }),
    [/statement 3 \(Tag\): elasticloadbalancing:AddTags is not restricted to creation; add elasticloadbalancing:CreateAction/],
  ],
  [
    'a creation that does not limit aws:TagKeys',
    policy({ ...create, Condition: { StringEquals: { 'aws:RequestTag/sluice.dev/cluster': 'prod' } } }),
    [/statement 1 \(Create\): conditions on request tags but does not limit aws:TagKeys; add ForAllValues:StringEquals aws:TagKeys \[sluice\.dev\/cluster, sluice\.dev\/managed-by\]/],
  ],
  [
    'aws:TagKeys without a key the provider writes',
    policy({ ...create, Condition: { ...create['Condition'] as object, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['sluice.dev/cluster'] } } }),
    [/aws:TagKeys lacks sluice\.dev\/managed-by, which the provider writes/],
  ],
  [
    'aws:TagKeys with a key the provider never writes',
    policy({ ...create, Condition: { ...create['Condition'] as object, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['sluice.dev/cluster', 'sluice.dev/managed-by', 'elbv2.k8s.aws/cluster'] } } }),
    [/aws:TagKeys allows elbv2\.k8s\.aws\/cluster, which the provider never writes/],
  ],
  [
    'two cluster names',
    policy(create, { ...change, Condition: { StringEquals: { 'aws:ResourceTag/sluice.dev/cluster': 'staging' } } }),
    [/the sluice\.dev\/cluster conditions name 2 different clusters \(prod, staging\)/],
  ],
  ['a wildcard action', policy({ ...describe, Action: 'elasticloadbalancing:Describe*' }), [/elasticloadbalancing:Describe\* is a wildcard/]],
  [
    'NotAction',
    policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    [/statement 1: NotAction allows every action but those listed/],
  ],
  ['an old Version', { Version: '2008-10-17', Statement: [describe] }, [/Version is "2008-10-17"; use "2012-10-17"/]],
  ['no statements', { Version: '2012-10-17', Statement: [] }, [/no Statement/]],
  ['not an object', [], [/not a JSON object/]],
];

for (const [name, doc, want] of refused) {
  test(`refused: ${name}`, () => {
    const problems = checkPolicyShape(doc, OPTIONS);
    assert.equal(problems.length, want.length, `problems: ${JSON.stringify(problems, null, 2)}`);
    for (const w of want) assert.ok(problems.some((p) => w.test(p)), `no problem matches ${w}: ${JSON.stringify(problems, null, 2)}`);
  });
}

test('accepted: Null "false" (the tag must be present), StringLike, and keys in any case', () => {
  for (const Condition of [
    { Null: { 'aws:ResourceTag/sluice.dev/cluster': 'false' } },
    { StringLike: { 'aws:ResourceTag/sluice.dev/cluster': '*' } },
    { StringEquals: { 'AWS:ResourceTag/Sluice.dev/Cluster': 'prod' } },
    { StringEquals: { 'elasticloadbalancing:ResourceTag/sluice.dev/cluster': 'prod' } },
  ]) {
    assert.deepEqual(checkPolicyShape(policy({ ...change, Condition }), OPTIONS), [], JSON.stringify(Condition));
  }
});

test('Deny statements only take away and are not checked', () => {
  assert.deepEqual(checkPolicyShape(policy(describe, { Effect: 'Deny', Action: 'elasticloadbalancing:*', Resource: '*' }), OPTIONS), []);
});
