import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allowedActions } from './check-iam-policy.ts';
import { compareActions, providerActions } from './iam-actions.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sluice-iam-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

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
