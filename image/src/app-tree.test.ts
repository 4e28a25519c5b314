/**
 * The image's node_modules: the closure is what npm itself counts as @sluice/controller's
 * production tree, resolution keeps nested copies nested, and the copy leaves out exactly the
 * type declarations and source maps.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { copyClosure, isRuntimeFile, productionClosure } from './app-tree.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fixture(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-app-tree-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return realpath(dir);
}

test("the closure of @sluice/controller is npm's own production tree of it", { timeout: 60_000 }, async () => {
  const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable', '--workspace', '@sluice/controller'], { cwd: ROOT, maxBuffer: 16 << 20 });
  // npm lists workspace packages by their node_modules link; the closure by their real directory.
  const root = await realpath(ROOT);
  const npm = new Set(await Promise.all(stdout.trim().split('\n').filter((p) => p !== root && p !== ROOT.replace(/\/$/, '')).map((p) => realpath(p))));
  const closure = await productionClosure(ROOT, '@sluice/controller');
  assert.deepEqual(new Set(closure.map((p) => p.from)), npm);
  assert.deepEqual(closure.filter((p) => p.workspace).map((p) => p.name).sort(), [
    '@sluice/controller', '@sluice/core', '@sluice/dataplane', '@sluice/provider-aws', '@sluice/provider-azure', '@sluice/provider-gcp', '@sluice/provider-local',
  ]);
  assert.ok(!closure.some((p) => /^(typescript|turbo|@biomejs\/|@sluice\/(e2e|bench|testbed))/.test(p.name)), 'no build tool or test package');
});

test('a nested copy stays nested, a hoisted one hoisted; optional and peer packages that are missing are skipped; a missing dependency is an error', async () => {
  const dir = await fixture({
    'node_modules/app/package.json': { name: 'app', version: '1.0.0', dependencies: { a: '1', b: '2' }, optionalDependencies: { gone: '1' }, peerDependencies: { peer: '1' } },
    'node_modules/a/package.json': { name: 'a', version: '1.0.0', dependencies: { b: '1' } },
    'node_modules/a/node_modules/b/package.json': { name: 'b', version: '1.0.0' },
    'node_modules/b/package.json': { name: 'b', version: '2.0.0' },
    'node_modules/unused/package.json': { name: 'unused', version: '1.0.0' },
  });
  const closure = await productionClosure(dir, 'app');
  assert.deepEqual(
    closure.map((p) => `${p.to} ${p.version}`).sort(),
    ['node_modules/a 1.0.0', 'node_modules/a/node_modules/b 1.0.0', 'node_modules/app 1.0.0', 'node_modules/b 2.0.0'],
  );
  await writeFile(join(dir, 'node_modules/a/package.json'), JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { missing: '1' } }));
  await assert.rejects(productionClosure(dir, 'app'), /a@1\.0\.0 needs missing, which is not installed/);
});

test('the copy keeps runtime files and drops type declarations, source maps and nested node_modules', async () => {
  const dir = await fixture({
    'node_modules/app/package.json': { name: 'app', version: '1.0.0' },
    'node_modules/app/index.js': '',
    'node_modules/app/index.d.ts': '',
    'node_modules/app/index.js.map': '',
    'node_modules/app/data.json': '{}',
    'node_modules/app/node_modules/x/package.json': { name: 'x', version: '1.0.0' },
  });
  const out = join(dir, 'out', 'app');
  await copyClosure(await productionClosure(dir, 'app'), out, new Map(), dir);
  assert.deepEqual((await readdir(join(out, 'node_modules', 'app'))).sort(), ['data.json', 'index.js', 'package.json']);
  assert.deepEqual(
    ['a.js', 'a.d.ts', 'a.d.mts', 'a.js.map', 'a.mjs.map', 'a.d.ts.map', 'a.ts', 'map.json'].map((f) => [f, isRuntimeFile(f)]),
    [['a.js', true], ['a.d.ts', false], ['a.d.mts', false], ['a.js.map', false], ['a.mjs.map', false], ['a.d.ts.map', false], ['a.ts', true], ['map.json', true]],
  );
});
