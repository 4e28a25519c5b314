import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveControlPlaneBinaries } from './control-plane-binaries.ts';

const root = mkdtempSync(join(tmpdir(), 'sluice-cp-build-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for build.sh: progress on stderr (the second line only after a pause), the cache directory on stdout. */
function script(name: string, body: string): string {
  const path = join(root, name);
  writeFileSync(path, body);
  return path;
}

test('the build passes its progress lines on while it runs, and the directory it prints is used', async () => {
  const dir = join(root, 'bin');
  mkdirSync(dir);
  for (const p of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    writeFileSync(join(dir, p), '#!/bin/sh\n');
    chmodSync(join(dir, p), 0o755);
  }
  const marker = join(root, 'finished');
  const build = script('ok.sh', `echo "building etcd v3.6.4" >&2\nsleep 0.5\necho "building kube-apiserver (15 s so far)" >&2\necho ${dir}\ntouch ${marker}\n`);
  const seen: { line: string; finished: boolean }[] = [];
  const env = { ...process.env, KUBEBUILDER_ASSETS: '' };
  const binaries = await resolveControlPlaneBinaries(env, (line) => seen.push({ line, finished: existsSync(marker) }), build);
  assert.deepEqual(
    seen.map((s) => s.line),
    ['building etcd v3.6.4', 'building kube-apiserver (15 s so far)'],
  );
  assert.equal(seen[0]?.finished, false, 'the first line arrived while the build was still running');
  assert.equal(binaries.kubeApiserver, join(dir, 'kube-apiserver'));
});

test('a failed build names the script, its exit code and its last lines', async () => {
  const build = script('fail.sh', 'echo "building etcd" >&2\necho "go: module lookup disabled" >&2\nexit 3\n');
  const lines: string[] = [];
  await assert.rejects(resolveControlPlaneBinaries({ ...process.env, KUBEBUILDER_ASSETS: '' }, (l) => lines.push(l), build), (error: Error) => {
    assert.match(error.message, /fail\.sh failed \(exit 3\): building etcd\ngo: module lookup disabled$/);
    return true;
  });
  assert.deepEqual(lines, ['building etcd', 'go: module lookup disabled']);
});
