import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./bin.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const mainSource = fileURLToPath(new URL('./main.ts', import.meta.url));
const mainBuilt = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
  engines: { node: string };
};

/** Preloaded before bin.ts: makes this Node 24 report another version, as an old Node would. */
const pretend = (version: string) =>
  `--import=data:text/javascript,${encodeURIComponent(`Object.defineProperty(process.versions, 'node', { value: '${version}' });`)}`;

function run(node: string, args: string[]) {
  return spawnSync(node, args, { encoding: 'utf8', timeout: 30_000 });
}

/** A Node.js older than 24 on PATH outside node_modules (the system Node, 20 here), if any. */
function oldNode(): { path: string; version: string } | undefined {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '' && !d.includes('node_modules'));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const path = join(dir, 'node');
    if (!existsSync(path)) continue;
    const r = run(path, ['-p', 'process.versions.node']);
    const version = r.stdout.trim();
    if (r.status === 0 && Number(version.split('.')[0]) < 24) return { path, version };
  }
  return undefined;
}

describe('the sluice bin (bin.ts)', () => {
  test('the package bin is bin.js and the version it needs is engines.node', () => {
    assert.deepEqual(pkg.bin, { sluice: './dist/bin.js' });
    assert.equal(pkg.engines.node, '>=24');
    assert.match(readFileSync(new URL('./node-version.ts', import.meta.url), 'utf8'), /const NODE_MAJOR_NEEDED = 24;/);
  });

  test('on an older Node: one sentence naming the version needed and found, exit 1, the app never loaded', () => {
    const r = run(process.execPath, ['--conditions=@sluice/source', pretend('20.11.1'), source, '--provider', 'nope']);
    assert.equal(r.stderr, 'sluice needs Node.js 24 or later; this is Node.js 20.11.1.\n');
    assert.equal(r.stdout, '');
    // main.ts, had it loaded, would have rejected the provider with exit 2.
    assert.equal(r.status, 1);
  });

  test('main.ts run directly on an older Node: the same sentence, exit 1, before the app runs', () => {
    const r = run(process.execPath, ['--conditions=@sluice/source', pretend('20.11.1'), mainSource, '--provider', 'nope']);
    assert.equal(r.stderr, 'sluice needs Node.js 24 or later; this is Node.js 20.11.1.\n');
    assert.equal(r.status, 1);
  });

  test('on Node 24 it runs the app', () => {
    const r = run(process.execPath, ['--conditions=@sluice/source', pretend('24.0.0'), source, '--provider', 'nope']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'sluice: unknown provider "nope": allowed are local, aws, azure, gcp.\n');
  });

  const old = oldNode();
  const fresh = existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs;
  test(
    'the built bin and main.js under a real older Node (the system Node)',
    {
      skip: !old
        ? 'no Node.js older than 24 on PATH'
        : !fresh
          ? 'dist/bin.js is missing or older than src/bin.ts: npx turbo run build --filter=@sluice/controller'
          : false,
    },
    () => {
      for (const entry of [built, mainBuilt]) {
        const r = run(old!.path, [entry, '--provider', 'local']);
        assert.equal(r.stderr, `sluice needs Node.js 24 or later; this is Node.js ${old!.version}.\n`, entry);
        assert.equal(r.stdout, '');
        assert.equal(r.status, 1);
      }
    },
  );

  test('the built bin under this Node 24 prints the version', { skip: fresh ? false : 'dist/bin.js is missing or stale' }, () => {
    const r = run(process.execPath, [built, '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sluice \d+\.\d+\.\d+\n$/);
  });
});
