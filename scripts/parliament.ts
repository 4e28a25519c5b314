/**
 * parliament (duo-labs' IAM linter, installed by tools/parliament.sh) for check-iam-policy.ts:
 * running it with community auditors on and every severity down to INFO, reading its findings,
 * and judging them against the allow-list: each allowed finding matched exactly (issue and
 * detail) and carrying its reason; an entry that matches nothing is itself a problem.
 */
import { spawnSync } from 'node:child_process';

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
