/**
 * A layer's digest depends on the files alone: the same tree made twice, at other times and
 * with other owners and mtimes, gives the same blob; its entries are sorted, owned by 0:0, dated
 * at the given time, with no leading "./"; and the digests are those of the bytes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { writeLayer } from './layer.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tree(mtime: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-layer-'));
  dirs.push(dir);
  await mkdir(join(dir, 'usr', 'local', 'bin'), { recursive: true });
  await writeFile(join(dir, 'usr', 'local', 'bin', 'tool'), '#!/bin/true\n');
  await chmod(join(dir, 'usr', 'local', 'bin', 'tool'), 0o755);
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', 'b.js'), 'b');
  await writeFile(join(dir, 'app', 'a.js'), 'a');
  for (const p of ['usr/local/bin/tool', 'app/a.js', 'app/b.js', 'app']) await utimes(join(dir, p), mtime, mtime);
  return dir;
}

test('the same files give the same layer, whatever their mtimes', async () => {
  const blobs = await mkdtemp(join(tmpdir(), 'sluice-blobs-'));
  dirs.push(blobs);
  const one = await writeLayer(await tree(1_000_000), blobs, 1_700_000_000);
  const two = await writeLayer(await tree(2_000_000), blobs, 1_700_000_000);
  assert.deepEqual(one, two);
  const bytes = await readFile(join(blobs, one.digest.slice('sha256:'.length)));
  assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, one.digest);
  assert.equal(one.size, bytes.length);
  const raw = gunzipSync(bytes);
  assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, one.diffId);
  assert.equal(raw.length, one.uncompressedSize);

  const listing = await new Promise<string>((resolve, reject) => {
    const child = execFile('tar', ['--list', '--verbose', '--numeric-owner', '--full-time'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }, (error, out) => (error ? reject(error) : resolve(out)));
    child.stdin?.end(raw);
  });
  const entries = listing.trim().split('\n').map((l) => l.split(/\s+/));
  assert.deepEqual(entries.map((e) => e.at(-1)), ['app/', 'app/a.js', 'app/b.js', 'usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/tool']);
  assert.ok(entries.every((e) => e[1] === '0/0'), 'owned by 0:0');
  assert.ok(entries.every((e) => `${e[3]} ${e[4]}` === '2023-11-14 22:13:20'), 'dated at the given time');
  assert.equal(entries.at(-1)?.[0], '-rwxr-xr-x', 'modes kept');
});
