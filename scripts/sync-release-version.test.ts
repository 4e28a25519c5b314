import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { versionChanges } from './sync-release-version.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const script = fileURLToPath(new URL('./sync-release-version.ts', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of deploy/ with the controller's package.json at `version`. */
function copy(version: string): string {
  const root = mkdtempSync(join(tmpdir(), 'sluice-version-'));
  dirs.push(root);
  cpSync(join(repo, 'deploy'), join(root, 'deploy'), { recursive: true });
  mkdirSync(join(root, 'apps/controller'), { recursive: true });
  writeFileSync(join(root, 'apps/controller/package.json'), JSON.stringify({ name: '@sluice/controller', version }));
  return root;
}

test('the repository deploys the controller version it builds', () => {
  const { version } = JSON.parse(readFileSync(join(repo, 'apps/controller/package.json'), 'utf8')) as { version: string };
  assert.deepEqual(versionChanges(repo, version), []);
});

test('a bumped controller version reaches the image tags, the version labels and the chart; --check then passes', () => {
  const root = copy('0.2.0');
  const checked = spawnSync(process.execPath, [script, '--check', root], { encoding: 'utf8' });
  assert.equal(checked.status, 1);
  assert.match(checked.stderr, /deploy\/base\/deployment\.yaml does not name version 0\.2\.0/);

  const synced = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  assert.equal(synced.status, 0, synced.stderr);
  const deployment = readFileSync(join(root, 'deploy/base/deployment.yaml'), 'utf8');
  assert.match(deployment, /image: ghcr\.io\/sluice-dev\/sluice:0\.2\.0\n/);
  assert.doesNotMatch(deployment, /0\.1\.0/);
  const chart = readFileSync(join(root, 'deploy/helm/sluice/Chart.yaml'), 'utf8');
  assert.match(chart, /^version: 0\.2\.0$/m);
  assert.match(chart, /^appVersion: "0\.2\.0"$/m);
  assert.equal(spawnSync(process.execPath, [script, '--check', root], { encoding: 'utf8' }).status, 0);
  const left = spawnSync('grep', ['-rl', '0\\.1\\.0', join(root, 'deploy')], { encoding: 'utf8' }).stdout.trim();
  assert.equal(left, '', 'no file under deploy/ names the old version');
});
