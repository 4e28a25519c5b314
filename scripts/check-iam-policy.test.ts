import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ALLOWED_FINDINGS,
  type AllowedFinding,
  allowedActions,
  checkPolicyShape,
  judgeFindings,
  PROVIDER_TAG_KEYS,
  type ParliamentFinding,
  parseParliamentOutput,
} from './check-iam-policy.ts';

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

const finding = (issue: string, detail: unknown, severity = 'MEDIUM'): ParliamentFinding => ({ issue, severity, detail, title: issue.toLowerCase() });
const allow: AllowedFinding[] = [
  { issue: 'UNKNOWN_CONDITION_FOR_ACTION', detail: 'Unknown condition x:Y for action x:Z', reason: 'false positive' },
  { issue: 'RESOURCE_MISMATCH', detail: [{ action: 'x:A', required_format: 'arn:a' }], reason: 'one listener per call' },
];

test('judgeFindings: an allow-listed finding passes (repeats and array order ignored), with its reason', () => {
  const out = judgeFindings(
    [
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:Z'),
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:Z'),
      finding('RESOURCE_MISMATCH', [
        { required_format: 'arn:a', action: 'x:A' },
        { action: 'x:A', required_format: 'arn:a' },
      ]),
    ],
    allow,
  );
  assert.deepEqual(out.problems, []);
  assert.equal(out.allowed.length, 2);
  assert.match(out.allowed[0]!, /MEDIUM UNKNOWN_CONDITION_FOR_ACTION \(allowed: false positive\)/);
});

test('judgeFindings: any other finding fails, whatever its severity, and an unused allow-list entry fails', () => {
  const out = judgeFindings(
    [
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:W'),
      finding('RESOURCE_STAR', 'x', 'LOW'),
      finding('RESOURCE_MISMATCH', [{ action: 'x:A', required_format: 'arn:a' }]),
    ],
    allow,
  );
  assert.deepEqual(out.problems, [
    'parliament: MEDIUM UNKNOWN_CONDITION_FOR_ACTION (unknown_condition_for_action): Unknown condition x:Y for action x:W',
    'parliament: LOW RESOURCE_STAR (resource_star): x',
    'the allow-list entry for UNKNOWN_CONDITION_FOR_ACTION "Unknown condition x:Y for action x:Z" matched no finding; remove it from ALLOWED_FINDINGS',
  ]);
});

test('every allow-list entry carries a reason', () => {
  for (const a of ALLOWED_FINDINGS) assert.ok(a.reason.length > 40, `${a.issue} needs a reason`);
});

test('parseParliamentOutput reads one JSON finding per line', () => {
  const text = `${JSON.stringify(finding('A', 'x'))}\n\n${JSON.stringify(finding('B', ['y'], 'LOW'))}\n`;
  assert.deepEqual(
    parseParliamentOutput(text).map((f) => [f.issue, f.severity]),
    [
      ['A', 'MEDIUM'],
      ['B', 'LOW'],
    ],
  );
  assert.deepEqual(parseParliamentOutput(''), []);
});
