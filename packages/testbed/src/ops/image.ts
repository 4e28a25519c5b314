/**
 * The Sluice image for the e2e: built by the same command users run (`npm run image`, i.e.
 * image/build.ts; warm in seconds, its slow parts cached), then unpacked by an independent OCI
 * tool, umoci (Debian package), into a runtime bundle: the root filesystem plus the runtime
 * configuration (user, entrypoint, environment) umoci derives from the image config. What the
 * tests run is that root filesystem, so the image users deploy is the image the tests ran.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const IMAGE_BUILD_SCRIPT = join(ROOT, 'image', 'build.ts');

/** What image/build.ts --json prints. */
export interface BuiltImage {
  readonly reference: string;
  readonly archive: string;
  readonly digest: string;
  readonly revision: string;
  readonly size: number;
  readonly layers: readonly { digest: string; size: number; createdBy: string }[];
}

/** The image config's fields the tests look at (OCI image-spec config.config). */
export interface ImageConfig {
  readonly User?: string;
  readonly Entrypoint?: string[];
  readonly Env?: string[];
  readonly Labels?: Record<string, string>;
  readonly ExposedPorts?: Record<string, object>;
}

export interface UnpackedImage {
  /** The bundle's root filesystem. */
  readonly rootfs: string;
  /** The runtime configuration umoci wrote for the image (OCI runtime-spec `process`). */
  readonly process: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number } };
  /** The image config read straight from the archive's blobs. */
  readonly config: ImageConfig;
  /** Removes the unpacked files. */
  remove(): Promise<void>;
}

/** Runs image/build.ts (turbo build first) and resolves with its description. */
export async function buildImage(env: NodeJS.ProcessEnv = process.env): Promise<BuiltImage> {
  try {
    const { stdout } = await run(process.execPath, [IMAGE_BUILD_SCRIPT, '--json'], { cwd: ROOT, env, maxBuffer: 16 << 20, timeout: 1_200_000 });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as BuiltImage;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`image/build.ts failed: ${stderr.split('\n').slice(-15).join('\n') || (error as Error).message}`, { cause: error });
  }
}

/**
 * umoci: from PATH, else the Debian package unpacked (no install, no root) into
 * ~/.cache/sluice/umoci-<version>/ by `apt-get download` and `dpkg-deb -x`.
 */
export async function resolveUmoci(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const onPath = await run('sh', ['-c', 'command -v umoci'], { env }).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  if (onPath) return onPath;
  const cache = join(env['XDG_CACHE_HOME'] || join(env['HOME'] ?? tmpdir(), '.cache'), 'sluice');
  try {
    const candidate = async () => (await run('apt-cache', ['policy', 'umoci'], { env })).stdout.match(/Candidate: (\S+)/)?.[1];
    let version = await candidate();
    if ((!version || version === '(none)') && process.getuid?.() === 0) {
      await run('apt-get', ['update', '-qq'], { env, maxBuffer: 16 << 20 });
      version = await candidate();
    }
    if (!version || version === '(none)') throw new Error('apt knows no umoci package (run apt-get update as root)');
    const dir = join(cache, `umoci-${version.replace(/[^\w.+-]/g, '_')}`);
    const binary = join(dir, 'usr', 'bin', 'umoci');
    if (await readFile(binary).then(() => true, () => false)) return binary;
    const download = await mkdtemp(join(tmpdir(), 'sluice-umoci-'));
    try {
      await run('apt-get', ['download', `umoci=${version}`], { cwd: download, env });
      const [deb] = (await readdir(download)).filter((f) => f.endsWith('.deb'));
      if (!deb) throw new Error('apt-get download wrote no .deb');
      await mkdir(dir, { recursive: true });
      await run('dpkg-deb', ['-x', join(download, deb), dir]);
    } finally {
      await rm(download, { recursive: true, force: true });
    }
    return binary;
  } catch (error) {
    throw new Error(`umoci (Debian package umoci) is needed to unpack the image and could not be had: ${(error as Error).message}`, { cause: error });
  }
}

/** Unpacks the OCI archive into a temp dir with umoci and reads its configuration. */
export async function unpackImage(image: BuiltImage): Promise<UnpackedImage> {
  const umoci = await resolveUmoci();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-image-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const layout = join(dir, 'layout');
    await mkdir(layout);
    await run('tar', ['--extract', '--file', image.archive, '--directory', layout]);
    const tag = image.reference.slice(image.reference.lastIndexOf(':') + 1);
    await run(umoci, ['unpack', '--image', `${layout}:${tag}`, join(dir, 'bundle')], { maxBuffer: 16 << 20 });
    const runtime = JSON.parse(await readFile(join(dir, 'bundle', 'config.json'), 'utf8')) as { process: UnpackedImage['process'] };
    const blob = async (digest: string) => JSON.parse(await readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8'));
    const manifest = (await blob(image.digest)) as { config: { digest: string } };
    const config = ((await blob(manifest.config.digest)) as { config: ImageConfig }).config;
    return { rootfs: join(dir, 'bundle', 'rootfs'), process: runtime.process, config, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
