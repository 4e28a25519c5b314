import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compareActions, providerActions } from './iam-actions.ts';
import { allowedActions } from './iam-policy-shape.ts';
import { tempTree } from './temp-tree.ts';

const tree = (files: Record<string, string>) => tempTree('sluice-iam-', files);

test('commands constructed in the source, by their client, plus tagging on create; tests and test support left out', () => {
  const root = tree({
    'a.ts': "import { CreateTargetGroupCommand, DescribeTargetHealthCommand as Health } from '@aws-sdk/client-elastic-load-balancing-v2';\nnew CreateTargetGroupCommand({ Name: 'x', Tags: tags(f(1)) });\n",
    'b.ts': "import {\n  CreateSecurityGroupCommand,\n  DescribeVpcsCommand,\n} from '@aws-sdk/client-ec2';\nnew CreateSecurityGroupCommand({ GroupName: 'g', TagSpecifications: [] });\nnew DescribeVpcsCommand({});\n",
    'c.ts': "import { CreateListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';\nnew CreateListenerCommand({ Port: 80 });\n",
    'a.test.ts': "import { DeleteLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';\nnew DeleteLoadBalancerCommand({});\n",
    'test-support/fake.ts': "import { DeleteTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';\nnew DeleteTargetGroupCommand({});\n",
  });
  assert.deepEqual(providerActions(root), {
    actions: ['ec2:CreateSecurityGroup', 'ec2:CreateTags', 'ec2:DescribeVpcs', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateTargetGroup'],
    unknown: [],
  });
});

test('a command from an unknown place is named, not guessed', () => {
  const root = tree({ 'x.ts': "import { FooCommand } from './foo.ts';\nnew FooCommand({});\n" });
  assert.match(providerActions(root).unknown[0] ?? '', /FooCommand is not imported from an AWS SDK client/);
});

test('the comparison names what is missing and what is granted but never called', () => {
  assert.deepEqual(compareActions(['ec2:DescribeVpcs', 'ec2:DeleteVpc'], ['ec2:DescribeVpcs', 'ec2:CreateTags']), [
    'the provider calls ec2:CreateTags, which the policy does not allow: add it',
    'the policy allows ec2:DeleteVpc, which the provider never calls: remove it',
  ]);
});

test('the repository: deploy/aws/iam-policy.json allows exactly what @sluice/provider-aws calls', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const policy = allowedActions(JSON.parse(readFileSync(join(root, 'deploy/aws/iam-policy.json'), 'utf8')));
  const provider = providerActions(join(root, 'packages/provider-aws/src'));
  assert.deepEqual([...provider.unknown, ...compareActions(policy, provider.actions)], []);
});
