/**
 * The IAM actions @sluice/provider-aws needs, read from its source: every SDK command it
 * constructs (`new XCommand(`), named by the client package the file imports it from
 * (`@aws-sdk/client-ec2` -> `ec2:X`, `@aws-sdk/client-elastic-load-balancing-v2` ->
 * `elasticloadbalancing:X`), plus the tagging permission a create needs when it tags the
 * resource it creates ("ELB API permissions to tag resources during creation": a
 * `Tags` parameter needs elasticloadbalancing:AddTags; EC2 "Grant permission to tag resources
 * during creation": `TagSpecifications` needs ec2:CreateTags). check-iam-policy.ts holds the
 * policy's actions against it, both ways: nothing the provider calls is missing, and the
 * policy grants nothing the provider never calls.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-elastic-load-balancing-v2': 'elasticloadbalancing',
};
const IMPORT = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g;
const CONSTRUCTED = /new\s+([A-Z][A-Za-z0-9]*)Command\s*\(/g;

/** The actions the source files under `dir` (tests and test support left out) call or need for tagging on create. */
export function providerActions(dir: string): { actions: string[]; unknown: string[] } {
  const actions = new Set<string>();
  const unknown: string[] = [];
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    const serviceOf = new Map<string, string>();
    for (const m of text.matchAll(IMPORT)) {
      const service = SERVICE_OF_PACKAGE[m[2]!];
      if (!service) continue;
      for (const name of m[1]!.split(',')) {
        const bare = name.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
        if (bare) serviceOf.set(bare, service);
      }
    }
    for (const m of text.matchAll(CONSTRUCTED)) {
      const service = serviceOf.get(`${m[1]}Command`);
      if (!service) {
        unknown.push(`${file}: ${m[1]}Command is not imported from an AWS SDK client this check knows`);
        continue;
      }
      actions.add(`${service}:${m[1]}`);
      const call = argumentsOf(text, m.index + m[0].length - 1);
      if (service === 'elasticloadbalancing' && m[1]!.startsWith('Create') && /\bTags:/.test(call)) actions.add('elasticloadbalancing:AddTags');
      if (service === 'ec2' && /\bTagSpecifications:/.test(call)) actions.add('ec2:CreateTags');
    }
  }
  return { actions: [...actions].sort(), unknown };
}

/** Problems between the policy's actions and the provider's, each one sentence. */
export function compareActions(policy: readonly string[], provider: readonly string[]): string[] {
  const granted = new Set(policy);
  const needed = new Set(provider);
  return [
    ...provider.filter((a) => !granted.has(a)).map((a) => `the provider calls ${a}, which the policy does not allow: add it`),
    ...policy.filter((a) => !needed.has(a)).map((a) => `the policy allows ${a}, which the provider never calls: remove it`),
  ];
}

/** The text between the parenthesis at `open` and its match. */
function argumentsOf(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'test-support') yield* sourceFiles(path);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) yield path;
  }
}
