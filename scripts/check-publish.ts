/**
 * Publish checks for every package under packages/ and the app: packs each with npm pack,
 * then runs publint and @arethetypeswrong/cli on the tarball (ESM-only profile: the packages
 * ship ESM only, for Node 24). Also checks what the packages promise: an exports map with
 * types, a README, a LICENSE, a version, no test or test-support file in any tarball, and that
 * no cloud SDK is imported by the core. Prints a table and exits 1 on any failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFiles } from './publish-files.ts';

const root = new URL('..', import.meta.url).pathname;
const dirs = [...readdirSync(join(root, 'packages')).map((d) => join('packages', d)), 'apps/controller'];
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const out = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
const rows: string[][] = [];
let failed = 0;

function run(cmd: string, args: string[], cwd: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

for (const dir of dirs) {
  const abs = join(root, dir);
  const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8'));
  const problems: string[] = [];
  const dot = pkg.exports?.['.'];
  if (!dot?.types || !dot?.default) problems.push('exports["."] lacks types or default');
  for (const f of ['README.md', 'LICENSE']) if (!existsSync(join(abs, f))) problems.push(`no ${f}`);
  if (!pkg.version || !pkg.license || !Array.isArray(pkg.files)) problems.push('version, license or files missing');

  const pack = run('npm', ['pack', '--json', '--pack-destination', out], abs);
  let tarball = '';
  let tests = 'unknown';
  if (!pack.ok) problems.push(`npm pack failed: ${pack.output.trim().split('\n').at(-1)}`);
  else {
    const packed = JSON.parse(pack.output.slice(pack.output.indexOf('[')))[0] as { filename: string; files: { path: string }[] };
    tarball = join(out, packed.filename);
    const found = testFiles(pkg.exports?.['./testing'] !== undefined, packed.files.map((f) => f.path));
    tests = found.length === 0 ? 'none' : `${found.length} (FAIL)`;
    if (found.length > 0) {
      const shown = found.slice(0, 5).join(', ');
      problems.push(`ships test files (fix "files" in its package.json): ${shown}${found.length > 5 ? `, and ${found.length - 5} more` : ''}`);
    }
  }

  let publint = 'skipped';
  let attw = 'skipped';
  if (tarball) {
    const p = run(bin('publint'), ['run', tarball, '--strict'], abs);
    publint = p.ok ? 'ok' : 'FAIL';
    if (!p.ok) problems.push(`publint: ${p.output.trim()}`);
    const a = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], abs);
    attw = a.ok ? 'ok' : 'FAIL';
    if (!a.ok) problems.push(`attw: ${a.output.trim()}`);
  }
  if (problems.length > 0) failed += 1;
  rows.push([pkg.name, pkg.version, publint, attw, tests, problems.length === 0 ? 'ok' : 'FAIL']);
  for (const p of problems) console.error(`${pkg.name}: ${p}`);
}

// The core must stay cloud-free: no SDK import anywhere under packages/core.
const sdk = /from ['"](@aws-sdk\/|@azure\/|@google-cloud\/|google-auth-library)/;
const offenders: string[] = [];
const walk = (d: string) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|js|mts)$/.test(e.name) && sdk.test(readFileSync(p, 'utf8'))) offenders.push(p.slice(root.length));
  }
};
walk(join(root, 'packages/core/src'));
const corePkg = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
for (const dep of Object.keys({ ...corePkg.dependencies, ...corePkg.peerDependencies })) {
  if (/^(@aws-sdk|@azure|@google-cloud)\//.test(dep)) offenders.push(`packages/core/package.json dependency ${dep}`);
}
if (offenders.length > 0) {
  failed += 1;
  console.error(`cloud SDK imported by @sluice/core: ${offenders.join(', ')}`);
}

const header = ['package', 'version', 'publint', 'attw (esm-only)', 'test files', 'result'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`core cloud-SDK imports: ${offenders.length === 0 ? 'none' : offenders.length}`);
rmSync(out, { recursive: true, force: true });
if (failed > 0) {
  console.error(`check:publish: ${failed} failing`);
  process.exit(1);
}
