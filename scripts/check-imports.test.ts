import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crossWorkspaceImports } from './check-imports.ts';
import { tempTree } from './temp-tree.ts';

/** A throwaway monorepo: root package.json with workspaces, and the given files. */
function repo(files: Record<string, string>): string {
  return tempTree('sluice-imports-', {
    'package.json': JSON.stringify({ name: 'r', private: true, workspaces: ['packages/*', 'e2e'] }),
    'packages/a/package.json': '{"name":"a"}',
    'packages/b/package.json': '{"name":"b"}',
    'e2e/package.json': '{"name":"e2e"}',
    ...files,
  });
}

test('the repository itself has no relative import into another workspace', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  assert.deepEqual(crossWorkspaceImports(root), []);
});

test('imports by package name and relative imports inside a workspace pass', () => {
  const root = repo({
    'packages/a/src/x.ts': "import { y } from './y.ts';\nimport { b } from 'b';\nexport * from '../src/y.ts';\n",
    'packages/a/src/y.ts': 'export const y = 1;\n',
    'e2e/jobs/j.e2e.ts': "import { s } from '../servers/s.ts';\nconst m = await import('b/sub');\n",
    'e2e/servers/s.ts': 'export const s = 1;\n',
  });
  assert.deepEqual(crossWorkspaceImports(root), []);
});

test('a relative import into another workspace is reported with file, line and the workspace reached', () => {
  const root = repo({
    'packages/a/src/x.ts': "// header\nimport { b } from '../../b/src/index.ts';\n",
    'packages/b/src/index.ts': 'export const b = 1;\n',
    'e2e/jobs/j.e2e.ts': "const h = await import('../../packages/a/src/x.ts');\nexport { y } from \"../../packages/b/src/index.ts\";\n",
    'scripts/tool.ts': "import '../e2e/jobs/j.e2e.ts';\n",
  });
  assert.deepEqual(
    crossWorkspaceImports(root).map((f) => `${f.file}:${f.line} -> ${f.reaches}`),
    ['e2e/jobs/j.e2e.ts:1 -> packages/a', 'e2e/jobs/j.e2e.ts:2 -> packages/b', 'packages/a/src/x.ts:2 -> packages/b', 'scripts/tool.ts:1 -> e2e'],
  );
});

test('a workspace reaching into the root folder (outside every workspace) is reported too', () => {
  const root = repo({ 'packages/a/src/x.ts': "import { t } from '../../../scripts/t.ts';\n", 'scripts/t.ts': 'export const t = 1;\n' });
  assert.deepEqual(
    crossWorkspaceImports(root).map((f) => f.reaches),
    ['.'],
  );
});

test('the command exits 0 on a clean tree and 1 naming file and line when a relative import crosses into another workspace', () => {
  const script = fileURLToPath(new URL('./check-imports.ts', import.meta.url));
  const clean = repo({ 'packages/a/src/x.ts': "import { b } from 'b';\n" });
  const ok = spawnSync(process.execPath, [script, clean], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /cross-workspace relative imports: none \(3 workspaces checked\)/);

  const bad = repo({ 'packages/a/src/x.ts': "import { b } from '../../b/src/index.ts';\n", 'packages/b/src/index.ts': 'export const b = 1;\n' });
  const refused = spawnSync(process.execPath, [script, bad], { encoding: 'utf8' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^packages\/a\/src\/x\.ts:1: imports '\.\.\/\.\.\/b\/src\/index\.ts', a relative path into the workspace packages\/b;/);
});
