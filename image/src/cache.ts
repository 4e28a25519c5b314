/**
 * Build inputs that change rarely (the Debian root filesystem, the Node binary) are turned
 * into layers once and kept under `${XDG_CACHE_HOME:-~/.cache}/sluice/`, in a directory
 * named by a hash of everything that went into them: a changed input is a new directory, never
 * a stale hit. A directory counts only once its `done.json` is written (last, after a rename).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'sluice');
}

export function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The cached entry `name` with its metadata, made by `make(dir)` on a miss. `make` fills a
 * fresh temporary directory and returns the metadata; a failed `make` leaves nothing behind.
 */
export async function cached<T>(name: string, make: (dir: string) => Promise<T>, root = cacheRoot()): Promise<{ dir: string; meta: T; hit: boolean }> {
  const dir = join(root, name);
  try {
    return { dir, meta: JSON.parse(await readFile(join(dir, 'done.json'), 'utf8')) as T, hit: true };
  } catch {
    // a miss, or an entry a crash left unfinished: made again below
  }
  await mkdir(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  try {
    const meta = await make(tmp);
    await writeFile(join(tmp, 'done.json'), JSON.stringify(meta, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, meta, hit: false };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Puts a blob into a layout: a hard link when the cache is on the same filesystem, else a copy. */
export async function placeBlob(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(() => copyFile(from, to));
}
