/**
 * One image layer from a directory: a tar made by GNU tar the reproducible way (names sorted,
 * every mtime the given time, owner and group 0, no atime/ctime), gzip-compressed by Node's
 * zlib (header time 0). The same directory contents and time give the same digest on any host.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface Blob {
  /** `sha256:<hex>` of the stored (compressed) bytes. */
  readonly digest: string;
  readonly size: number;
}

export interface Layer extends Blob {
  /** `sha256:<hex>` of the uncompressed tar: the config's rootfs.diff_ids entry. */
  readonly diffId: string;
  readonly uncompressedSize: number;
}

/** GNU tar options shared by the layers and the archive: deterministic output. */
export function reproducibleTarArgs(mtimeEpoch: number): string[] {
  return [
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--sort=name',
    `--mtime=@${mtimeEpoch}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
  ];
}

function hashing(hash: ReturnType<typeof createHash>, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/** Writes `dir` as a gzip layer blob into `blobsDir` (named by its digest). */
export async function writeLayer(dir: string, blobsDir: string, mtimeEpoch: number): Promise<Layer> {
  // Top-level entries by name without a leading "./", the way registries' layers look.
  const names = (await readdir(dir)).sort();
  await mkdir(blobsDir, { recursive: true });
  const tmp = join(blobsDir, `.layer-${process.pid}-${Date.now()}`);
  const raw = createHash('sha256');
  const packed = createHash('sha256');
  const rawCount = { bytes: 0 };
  const packedCount = { bytes: 0 };
  const tar = spawn('tar', ['--create', ...reproducibleTarArgs(mtimeEpoch), '--directory', dir, '--', ...names], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  // Consumed at once, before any await: Node discards the unread output of a child that has exited.
  const packing = pipeline(tar.stdout, hashing(raw, rawCount), createGzip({ level: 6 }), hashing(packed, packedCount), createWriteStream(tmp));
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  await packing;
  const code = await exit;
  if (code !== 0) throw new Error(`tar of ${dir} failed (exit ${code}): ${stderr.trim()}`);
  const digest = packed.digest('hex');
  await rename(tmp, join(blobsDir, digest));
  return { digest: `sha256:${digest}`, size: packedCount.bytes, diffId: `sha256:${raw.digest('hex')}`, uncompressedSize: rawCount.bytes };
}
