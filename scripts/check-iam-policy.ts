/**
 * The IAM policy check (deploy/aws/iam-policy.json, the AWS provider's least-privilege policy):
 * - parliament (duo-labs' IAM linter, installed by tools/parliament.sh, community auditors on,
 *   every severity down to INFO) must report nothing, except findings listed in
 *   ALLOWED_FINDINGS (parliament.ts), each matched exactly (issue and detail) and carrying its
 *   reason; an allow-list entry that matches nothing is itself a failure, so the list cannot go
 *   stale;
 * - the policy's shape (checkPolicyShape, iam-policy-shape.ts): only Describe* actions go
 *   without a condition on the cluster tag the provider writes, tagging is possible only while
 *   creating, and creation may write exactly the tag keys the provider writes (read from
 *   @sluice/provider-aws);
 * - its actions against the SDK commands @sluice/provider-aws sends (iam-actions.ts), both ways.
 * The e2e job e2e/jobs/aws/aws.e2e.ts checks the other direction: every AWS action the
 * controller makes is one the policy allows.
 *
 * Run: node --conditions=@sluice/source scripts/check-iam-policy.ts [policy.json]
 * Prints the allowed actions and each problem; exits 1 on any problem.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TAG_CLUSTER, TAG_MANAGED_BY, TAG_SERVICE_NAME, TAG_SERVICE_NAMESPACE, TAG_SERVICE_PORT, TAG_SERVICE_UID } from '@sluice/provider-aws';
import { compareActions, providerActions } from './iam-actions.ts';
import { allowedActions, checkPolicyShape } from './iam-policy-shape.ts';
import { ALLOWED_FINDINGS, judgeFindings, runParliament } from './parliament.ts';

/** The tag keys the provider writes, from @sluice/provider-aws itself. */
export const PROVIDER_TAG_KEYS: readonly string[] = [TAG_CLUSTER, TAG_SERVICE_NAMESPACE, TAG_SERVICE_NAME, TAG_SERVICE_UID, TAG_SERVICE_PORT, TAG_MANAGED_BY];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const file = resolve(process.argv[2] ?? `${root}/deploy/aws/iam-policy.json`);
  const name = relative(root, file);
  const text = readFileSync(file, 'utf8');
  const policy = JSON.parse(text) as unknown;
  const actions = allowedActions(policy);
  console.log(`${name}: ${actions.length} actions allowed\n${actions.map((a) => `  ${a}`).join('\n')}`);

  const shape = checkPolicyShape(policy, { clusterTagKey: TAG_CLUSTER, tagKeys: PROVIDER_TAG_KEYS });
  console.log(`shape: ${shape.length === 0 ? 'ok' : `${shape.length} problem(s)`}`);

  const bin = execFileSync('bash', [`${root}/tools/parliament.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '';
  const findings = runParliament(bin, text);
  const judged = judgeFindings(findings, ALLOWED_FINDINGS);
  console.log(`parliament: ${judged.allowed.length + judged.problems.length === 0 ? 'no findings' : `${judged.allowed.length} finding(s) allowed, ${judged.problems.length} problem(s)`}`);
  for (const a of judged.allowed) console.log(`  ${a}`);

  const provider = providerActions(`${root}/packages/provider-aws/src`);
  const drift = [...provider.unknown, ...compareActions(actions, provider.actions)];
  console.log(`actions against @sluice/provider-aws's calls: ${drift.length === 0 ? `the same ${provider.actions.length}` : `${drift.length} problem(s)`}`);

  const problems = [...shape, ...judged.problems, ...drift];
  for (const p of problems) console.error(`${name}: ${p}`);
  process.exit(problems.length === 0 ? 0 : 1);
}
