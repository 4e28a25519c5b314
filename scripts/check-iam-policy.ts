/**
 * The IAM policy check (deploy/aws/iam-policy.json, the AWS provider's least-privilege policy):
 * - parliament (duo-labs' IAM linter, installed by tools/parliament.sh, community auditors on,
 *   every severity down to INFO) must report nothing, except findings listed in
 *   {@link ALLOWED_FINDINGS}, each matched exactly (issue and detail) and carrying its reason;
 *   an allow-list entry that matches nothing is itself a failure, so the list cannot go stale;
 * - the policy's shape ({@link checkPolicyShape}): only Describe* actions go without a condition
 *   on the cluster tag the provider writes, tagging is possible only while creating, and
 *   creation may write exactly the tag keys the provider writes (read from @sluice/provider-aws).
 * The e2e job e2e/jobs/aws/aws.e2e.ts checks the other direction: every AWS action the
 * controller makes is one the policy allows.
 *
 * Run: node --conditions=@sluice/source scripts/check-iam-policy.ts [policy.json]
 * Prints the allowed actions and each problem; exits 1 on any problem.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TAG_CLUSTER, TAG_MANAGED_BY, TAG_SERVICE_NAME, TAG_SERVICE_NAMESPACE, TAG_SERVICE_PORT, TAG_SERVICE_UID } from '@sluice/provider-aws';
import { compareActions, providerActions } from './iam-actions.ts';

/** What the shape check needs to know about the provider. */
export interface PolicyShapeOptions {
  /** The tag whose value names the cluster (the provider's `TAG_CLUSTER`). */
  readonly clusterTagKey: string;
  /**
   * Every tag key the provider writes when it creates a resource. A statement that conditions
   * on request tags must limit `aws:TagKeys` (ForAllValues:StringEquals) to exactly these: one
   * missing would deny the provider's own creations, one more would let it write tags it never
   * writes (another tool's ownership tags, say).
   */
  readonly tagKeys: readonly string[];
}

/** Read-only actions: the only ones allowed without a tag condition. */
export const READ_ACTION = /^[a-z0-9-]+:Describe[A-Za-z0-9]+$/;
/** Actions that write or remove tags: allowed only while creating (`<service>:CreateAction`). */
export const TAGGING_ACTION = /^[a-z0-9-]+:(AddTags|RemoveTags|CreateTags|DeleteTags)$/;
/**
 * Condition operators under which a cluster tag key counts as a condition. `...IfExists`
 * variants do not: they pass when the tag is absent. `Null` counts only with "false"
 * (the tag must be present).
 */
const MATCHING_OPERATORS = new Set(['stringequals', 'stringlike']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Condition = Record<string, Record<string, Json>>;

interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: string | string[];
  readonly NotResource?: unknown;
  readonly Condition?: Condition;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

function statementsOf(policy: unknown): Statement[] {
  const s = (policy as { Statement?: unknown } | null)?.Statement;
  return (Array.isArray(s) ? s : s === undefined ? [] : [s]) as Statement[];
}

/** The actions the policy's Allow statements name, sorted, without duplicates. */
export function allowedActions(policy: unknown): string[] {
  const out = new Set<string>();
  for (const s of statementsOf(policy)) if (s.Effect === 'Allow') for (const a of list(s.Action)) out.add(a);
  return [...out].sort();
}

/** The condition entries of a statement, with operators and keys lower-cased (IAM ignores their case). */
function conditionEntries(s: Statement): { operator: string; key: string; values: string[] }[] {
  const out: { operator: string; key: string; values: string[] }[] = [];
  for (const [operator, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, values] of Object.entries(block ?? {})) out.push({ operator: operator.toLowerCase(), key: key.toLowerCase(), values: list(values) });
  }
  return out;
}

/** The values a statement requires of the cluster tag, on the request or on the resource; empty when it does not. */
function clusterTagValues(s: Statement, clusterTagKey: string): { request: string[]; resource: string[]; any: boolean } {
  const tag = clusterTagKey.toLowerCase();
  const request: string[] = [];
  const resource: string[] = [];
  let any = false;
  for (const { operator, key, values } of conditionEntries(s)) {
    const onRequest = key === `aws:requesttag/${tag}`;
    const onResource = key === `aws:resourcetag/${tag}` || (/^[a-z0-9-]+:resourcetag\//.test(key) && key.endsWith(`/${tag}`));
    if (!onRequest && !onResource) continue;
    const matching = MATCHING_OPERATORS.has(operator) && values.some((v) => v !== '');
    const present = operator === 'null' && values.length > 0 && values.every((v) => v === 'false');
    if (!matching && !present) continue;
    any = true;
    if (matching) (onRequest ? request : resource).push(...values);
  }
  return { request, resource, any };
}

/**
 * Checks that a policy document grants no more than the provider's calls need, in shape:
 * - Version 2012-10-17; Allow statements use Action and Resource (no NotAction, NotResource)
 *   and name actions without wildcards;
 * - every action other than Describe* is conditioned on the cluster tag (`aws:RequestTag/<tag>`
 *   when creating, `aws:ResourceTag/<tag>` otherwise; StringEquals or StringLike, or Null
 *   "false") and is not allowed on Resource "*";
 * - tagging actions are restricted to creation by `<service>:CreateAction`;
 * - a statement that conditions on request tags limits `aws:TagKeys` to exactly the provider's keys;
 * - every cluster tag condition names the same cluster (so one substitution sets the name).
 * Returns one sentence per problem, naming the statement and the action; empty when it passes.
 * Deny statements only take away, and are not checked.
 */
export function checkPolicyShape(policy: unknown, options: PolicyShapeOptions): string[] {
  const problems: string[] = [];
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return ['the policy is not a JSON object'];
  const version = (policy as { Version?: unknown }).Version;
  if (version !== '2012-10-17') problems.push(`the policy's Version is ${JSON.stringify(version)}; use "2012-10-17" (older versions have no policy variables)`);
  const statements = statementsOf(policy);
  if (statements.length === 0) problems.push('the policy has no Statement');
  const clusterValues = new Set<string>();
  const wantKeys = [...new Set(options.tagKeys)].sort();

  statements.forEach((s, i) => {
    const where = `statement ${i + 1}${s.Sid ? ` (${s.Sid})` : ''}`;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') problems.push(`${where}: Effect is ${JSON.stringify(s.Effect)}; allowed are Allow, Deny`);
    if (s.Effect !== 'Allow') return;
    if (s.NotAction !== undefined) problems.push(`${where}: NotAction allows every action but those listed; name the actions in Action`);
    if (s.NotResource !== undefined) problems.push(`${where}: NotResource allows every resource but those listed; name the resources in Resource`);
    const actions = list(s.Action);
    if (actions.length === 0 && s.NotAction === undefined) problems.push(`${where}: no Action`);
    const resources = list(s.Resource);
    const onAnyResource = resources.includes('*');
    const cluster = clusterTagValues(s, options.clusterTagKey);
    for (const v of [...cluster.request, ...cluster.resource]) clusterValues.add(v);
    const conditions = conditionEntries(s);

    for (const action of actions) {
      if (/[*?]/.test(action)) {
        problems.push(`${where}: ${action} is a wildcard; name each action the provider calls`);
        continue;
      }
      if (READ_ACTION.test(action)) continue;
      if (!cluster.any) {
        problems.push(
          `${where}: ${action} is allowed without a condition on the ${options.clusterTagKey} tag; add aws:RequestTag/${options.clusterTagKey} (creating) or aws:ResourceTag/${options.clusterTagKey} (changing or deleting) under StringEquals`,
        );
      }
      if (onAnyResource) problems.push(`${where}: ${action} is allowed on Resource "*"; name the ARN patterns of the resources it acts on`);
      if (TAGGING_ACTION.test(action)) {
        const createAction = `${action.split(':')[0]}:createaction`;
        if (!conditions.some((c) => c.key === createAction && MATCHING_OPERATORS.has(c.operator) && c.values.length > 0)) {
          problems.push(`${where}: ${action} is not restricted to creation; add ${action.split(':')[0]}:CreateAction (StringEquals, the creating actions) so that existing resources cannot be re-tagged`);
        }
      }
    }

    if (cluster.request.length > 0 || conditions.some((c) => c.key.startsWith('aws:requesttag/'))) {
      const tagKeys = conditions.filter((c) => c.key === 'aws:tagkeys');
      const limited = tagKeys.find((c) => c.operator === 'forallvalues:stringequals');
      if (!limited) {
        problems.push(`${where}: conditions on request tags but does not limit aws:TagKeys; add ForAllValues:StringEquals aws:TagKeys [${wantKeys.join(', ')}]`);
      } else {
        const have = new Set(limited.values);
        const missing = wantKeys.filter((k) => !have.has(k));
        const extra = [...have].filter((k) => !wantKeys.includes(k)).sort();
        if (missing.length > 0) problems.push(`${where}: aws:TagKeys lacks ${missing.join(', ')}, which the provider writes: its creations would be denied`);
        if (extra.length > 0) problems.push(`${where}: aws:TagKeys allows ${extra.join(', ')}, which the provider never writes`);
      }
    }
  });

  if (clusterValues.size > 1) {
    problems.push(`the ${options.clusterTagKey} conditions name ${clusterValues.size} different clusters (${[...clusterValues].sort().join(', ')}); use one value everywhere`);
  }
  return problems;
}

/** One finding as `parliament --json` prints it (one JSON object per line). */
export interface ParliamentFinding {
  readonly issue: string;
  readonly title?: string;
  readonly severity: string;
  readonly detail?: unknown;
  readonly location?: unknown;
}

/** A finding that is accepted: matched by issue and detail exactly, with the reason it is wrong or harmless. */
export interface AllowedFinding {
  readonly issue: string;
  readonly detail: unknown;
  readonly reason: string;
}

/**
 * Findings of parliament 1.6.4 accepted for deploy/aws/iam-policy.json, each exactly, with why.
 * Anything else parliament reports, at any severity, fails the check.
 */
export const ALLOWED_FINDINGS: readonly AllowedFinding[] = [
  {
    issue: 'UNKNOWN_CONDITION_FOR_ACTION',
    detail: 'Unknown condition elasticloadbalancing:CreateAction for action elasticloadbalancing:AddTags',
    reason:
      "false positive: parliament's iam_definition.json holds an outdated copy of Elastic Load Balancing V2 first, and looks actions up there; the current entry in the same file, AWS's service authorization reference for ELBv2 and its guide 'ELB API permissions to tag resources during creation' all list elasticloadbalancing:CreateAction for AddTags. Without it AddTags would work on existing resources.",
  },
  {
    issue: 'RESOURCE_MISMATCH',
    detail: [
      { action: 'elasticloadbalancing:DeleteListener', required_format: 'arn:*:elasticloadbalancing:*:*:listener/app/*/*/*' },
      { action: 'elasticloadbalancing:ModifyListener', required_format: 'arn:*:elasticloadbalancing:*:*:listener/app/*/*/*' },
    ],
    reason:
      'the reference lists listener/app and listener/net as the resource types of DeleteListener and ModifyListener, and parliament demands a pattern for each; a call names one listener, and Sluice only has NLB (listener/net) listeners. Adding listener/app would only widen the policy to ALB listeners.',
  },
  {
    issue: 'RESOURCE_MISMATCH',
    detail: [{ action: 'ec2:AuthorizeSecurityGroupIngress', required_format: 'arn:*:ec2:*:*:security-group/*' }],
    reason:
      "parliament judges each statement alone: AuthorizeSecurityGroupIngress names two resources, the group (allowed by ChangeThisClustersSecurityGroups, on the group's sluice.dev/cluster tag) and the new rule (allowed by AddTaggedRules, on the rule's request tags); one statement cannot hold both conditions, since a new rule has no resource tags yet and a group gets no request tags.",
  },
];

/** A value with object keys sorted and array items de-duplicated and sorted, for exact comparison. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${[...new Set(value.map(canonical))].sort().join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * Judges parliament's findings: each finding not matched by an allow-list entry is a problem
 * (whatever its severity), and so is each allow-list entry that matched nothing.
 */
export function judgeFindings(findings: readonly ParliamentFinding[], allowList: readonly AllowedFinding[]): { problems: string[]; allowed: string[] } {
  const problems: string[] = [];
  const allowed: string[] = [];
  const used = new Set<AllowedFinding>();
  const seen = new Set<string>();
  for (const f of findings) {
    const key = `${f.issue} ${canonical(f.detail)}`;
    if (seen.has(key)) continue; // parliament repeats a finding once per matching resource
    seen.add(key);
    const entry = allowList.find((a) => a.issue === f.issue && canonical(a.detail) === canonical(f.detail));
    if (entry) {
      used.add(entry);
      allowed.push(`${f.severity} ${f.issue} (allowed: ${entry.reason})`);
    } else {
      problems.push(`parliament: ${f.severity} ${f.issue}${f.title ? ` (${f.title})` : ''}: ${typeof f.detail === 'string' ? f.detail : JSON.stringify(f.detail)}${f.location ? ` at ${JSON.stringify(f.location)}` : ''}`);
    }
  }
  for (const a of allowList) {
    if (!used.has(a)) problems.push(`the allow-list entry for ${a.issue} ${JSON.stringify(a.detail)} matched no finding; remove it from ALLOWED_FINDINGS`);
  }
  return { problems, allowed };
}

/** Parses `parliament --json` output: one finding per non-empty line. */
export function parseParliamentOutput(stdout: string): ParliamentFinding[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ParliamentFinding);
}

/** Runs parliament on a policy document (the text, given on stdin as parliament wants it); returns its findings. */
export function runParliament(bin: string, policyText: string): ParliamentFinding[] {
  const run = spawnSync(bin, ['--json', '--include-community-auditors', '--minimum_severity', 'INFO'], { input: policyText, encoding: 'utf8' });
  // parliament exits 0 without findings, 1 with findings, anything else when it failed.
  if (run.error || (run.status !== 0 && run.status !== 1)) {
    throw new Error(`parliament (${bin}) failed with ${run.error ? run.error.message : `exit status ${run.status}`}: ${run.stderr.trim()}`);
  }
  return parseParliamentOutput(run.stdout);
}

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
