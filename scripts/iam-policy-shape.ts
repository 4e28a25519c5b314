/**
 * The shape of an IAM policy for the AWS provider (check-iam-policy.ts runs it): which actions
 * it allows, and the least-privilege rules it must keep: only Describe* actions go without a
 * condition on the cluster tag the provider writes, tagging is possible only while creating, and
 * creation may write exactly the tag keys the provider writes.
 */

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
