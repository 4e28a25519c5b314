/**
 * Carries the controller's version (apps/controller/package.json, which changesets bumps) into
 * what names it in deploy/ (manifests, chart and their READMEs): the image tag (`ghcr.io/sluice-dev/sluice:<version>`), the
 * `app.kubernetes.io/version` labels, and the Helm chart's `version` and `appVersion`. The
 * release's "version" step runs it right after `changeset version`, so the Version Packages
 * pull request already deploys the image the release will push (the deploy e2e checks that
 * they agree).
 *
 * Run: `node scripts/sync-release-version.ts [--check] [root]`; with --check it changes
 * nothing and exits 1 naming each file that is out of step.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEMVER = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/.source;
const RULES: readonly [RegExp, (v: string) => string][] = [
  [new RegExp(`(ghcr\\.io/sluice-dev/sluice:)${SEMVER}`, 'g'), (v) => `$1${v}`],
  [new RegExp(`(app\\.kubernetes\\.io/version: )"${SEMVER}"`, 'g'), (v) => `$1"${v}"`],
];
const CHART_RULES: readonly [RegExp, (v: string) => string][] = [
  [new RegExp(`^(version: )${SEMVER}$`, 'm'), (v) => `$1${v}`],
  [new RegExp(`^(appVersion: )"${SEMVER}"$`, 'm'), (v) => `$1"${v}"`],
];

/** Each file under `root/deploy` whose text changes to carry `version`, with the new text. */
export function versionChanges(root: string, version: string): { file: string; text: string }[] {
  const changes: { file: string; text: string }[] = [];
  for (const file of yamlFiles(join(root, 'deploy'))) {
    const before = readFileSync(file, 'utf8');
    const rules = file.endsWith('Chart.yaml') ? [...RULES, ...CHART_RULES] : RULES;
    const after = rules.reduce((text, [pattern, to]) => text.replace(pattern, to(version)), before);
    if (after !== before) changes.push({ file: relative(root, file), text: after });
  }
  return changes;
}

function* yamlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.(ya?ml|md)$/.test(name)) yield path;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const root = args.find((a) => a !== '--check') ?? fileURLToPath(new URL('..', import.meta.url));
  const { version } = JSON.parse(readFileSync(join(root, 'apps/controller/package.json'), 'utf8')) as { version: string };
  const changes = versionChanges(root, version);
  for (const c of changes) {
    if (check) console.error(`${c.file} does not name version ${version} of the controller everywhere; run node scripts/sync-release-version.ts`);
    else writeFileSync(join(root, c.file), c.text);
  }
  console.log(`deploy/ ${check ? 'checked against' : 'set to'} controller version ${version}: ${changes.length} file(s) ${check ? 'out of step' : 'changed'}`);
  process.exit(check && changes.length > 0 ? 1 : 0);
}
