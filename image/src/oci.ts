/**
 * The OCI image layout (image-spec v1.1: oci-layout, index.json, blobs/sha256/) around a set
 * of layers, and its archive: the layout as one tar, what `skopeo copy oci-archive:`,
 * `podman load` and `docker load` (25+) read.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Blob, type Layer, reproducibleTarArgs } from './layer.ts';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface ImageInput {
  /** `repository:tag`. */
  readonly reference: string;
  /** RFC 3339, the image's creation time (from SOURCE_DATE_EPOCH). */
  readonly created: string;
  /** The `config` object (User, Env, Entrypoint, Labels, ...). */
  readonly config: Record<string, unknown>;
  /** Bottom first, each with what made it (the config's history). */
  readonly layers: readonly { readonly layer: Layer; readonly createdBy: string }[];
}

export interface WrittenImage {
  /** The manifest's digest: the image's identity in a registry. */
  readonly manifest: Blob;
  readonly config: Blob;
}

async function writeJsonBlob(blobsDir: string, value: unknown): Promise<Blob> {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(blobsDir, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Writes config, manifest and index into `layoutDir`, whose `blobs/sha256/` already holds the
 * layer blobs. The index names the image by its tag (`org.opencontainers.image.ref.name`) and
 * by its full reference (`io.containerd.image.name`, which `docker load` uses).
 */
export async function writeImageLayout(layoutDir: string, image: ImageInput): Promise<WrittenImage> {
  const blobs = join(layoutDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const config = await writeJsonBlob(blobs, {
    created: image.created,
    architecture: 'amd64',
    os: 'linux',
    config: image.config,
    rootfs: { type: 'layers', diff_ids: image.layers.map((l) => l.layer.diffId) },
    history: image.layers.map((l) => ({ created: image.created, created_by: l.createdBy })),
  });
  const manifest = await writeJsonBlob(blobs, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, digest: config.digest, size: config.size },
    layers: image.layers.map(({ layer }) => ({ mediaType: MEDIA_TYPES.layer, digest: layer.digest, size: layer.size })),
  });
  const tag = image.reference.slice(image.reference.lastIndexOf(':') + 1);
  await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layoutDir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: manifest.digest,
          size: manifest.size,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': tag, 'io.containerd.image.name': image.reference },
        },
      ],
    }),
  );
  return { manifest, config };
}

/** Tars the layout directory into `archivePath` (uncompressed: the blobs are). */
export async function writeArchive(layoutDir: string, archivePath: string, mtimeEpoch: number): Promise<void> {
  const names = (await readdir(layoutDir)).sort();
  const tar = spawn('tar', ['--create', ...reproducibleTarArgs(mtimeEpoch), '--file', archivePath, '--directory', layoutDir, '--', ...names], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  if (code !== 0) throw new Error(`tar of ${layoutDir} failed (exit ${code}): ${stderr.trim()}`);
}
