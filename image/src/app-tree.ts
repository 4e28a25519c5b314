/**
 * The `node_modules` tree of the image: @sluice/controller and exactly its production
 * dependencies (dependencies, optional dependencies such as the provider packages, installed
 * peers), taken from the workspace's own install, so every version is the one package-lock.json
 * pinned from the npm registry. Nothing else of the workspace goes in: no devDependencies, no
 * testbed, e2e or bench package, no build tool.
 *
 * Each package lands at the path Node's resolution finds it at today, relative to the
 * workspace root: `node_modules/a/node_modules/b` stays nested under `a`, a hoisted package
 * stays hoisted, and a workspace package (a symlink into packages/ or apps/) becomes a real
 * directory holding the files `npm pack` would publish. Resolution inside the image therefore
 * picks the same copy of every package as in the workspace.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PackageCopy {
  readonly name: string;
  readonly version: string;
  /** The package's real directory in the workspace. */
  readonly from: string;
  /** Where it goes, relative to the image's app directory (e.g. `node_modules/@sluice/core`). */
  readonly to: string;
  /** True for a workspace package: only its published files are copied. */
  readonly workspace: boolean;
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * The production closure of `rootName` as installed under `workspaceRoot`, in visit order
 * (the root first). A required dependency that is not installed is an error naming who needs
 * it; a missing optional dependency or peer is skipped.
 */
export async function productionClosure(workspaceRoot: string, rootName: string): Promise<PackageCopy[]> {
  const root = await realpath(workspaceRoot);
  const modules = join(root, 'node_modules');
  const destOf = new Map<string, string>();
  const out: PackageCopy[] = [];

  /** Where Node finds `name` from a package in `fromDir` (its real path), and where that goes. */
  const locate = async (name: string, fromDir: string): Promise<{ dir: string; to: string } | undefined> => {
    for (let base = fromDir; ; base = dirname(base)) {
      const candidate = join(base, 'node_modules', name);
      if (await exists(join(candidate, 'package.json'))) {
        const baseDest = base === root ? '' : (destOf.get(base) ?? (base.startsWith(modules + sep) ? relative(root, base) : undefined));
        if (baseDest === undefined) throw new Error(`${name} resolves to ${candidate}, outside the packages of the image`);
        return { dir: await realpath(candidate), to: join(baseDest, 'node_modules', name) };
      }
      // Resolution above the workspace would pick up whatever the build host has there.
      if (base === root || dirname(base) === base) return undefined;
    }
  };

  const start = await locate(rootName, root);
  if (!start) throw new Error(`${rootName} is not installed in ${modules}: run npm ci`);
  const queue = [start];
  while (queue.length > 0) {
    const { dir, to } = queue.shift()!;
    if (destOf.has(dir)) continue;
    destOf.set(dir, to);
    const m = await readManifest(dir);
    out.push({ name: m.name, version: m.version, from: dir, to, workspace: !dir.startsWith(modules + sep) });
    // npm installs peers too (since v7); one that is not there is not needed, like an optional one.
    const mayLack = new Set([...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
    const wanted = new Set([...Object.keys(m.dependencies ?? {}), ...mayLack]);
    for (const name of [...wanted].sort()) {
      const found = await locate(name, dir);
      if (found) queue.push(found);
      else if (!mayLack.has(name)) throw new Error(`${m.name}@${m.version} needs ${name}, which is not installed: run npm ci`);
    }
  }
  return out;
}

/**
 * Type declarations and source maps: nothing reads them at run time (Node reads a source map
 * only under --enable-source-maps). About a third of the installed bytes (the cloud SDKs ship
 * large .d.ts files), so the image leaves them out.
 */
export function isRuntimeFile(path: string): boolean {
  return !/\.d\.[cm]?ts$|\.[cm]?js\.map$|\.d\.[cm]?ts\.map$/.test(path);
}

async function tarPipe(fromDir: string, listFile: string, toDir: string): Promise<void> {
  const script = 'tar --create --directory="$2" --null --no-recursion --files-from="$1" | tar --extract --directory="$3"';
  await run('bash', ['-o', 'pipefail', '-c', script, 'copy', listFile, fromDir, toDir], { maxBuffer: 16 << 20 });
}

/**
 * Copies the closure into `appDir`: a registry package whole except its own `node_modules`
 * (what it needs from there is in the closure by itself), a workspace package as the file
 * list `npm pack` gave for it (`publishedFiles`, keyed by package name); in both, only the
 * files {@link isRuntimeFile} keeps. Registry packages keep their path under the workspace
 * root, so one tar pipe copies them all (a copy per file in Node takes ten times as long).
 */
export async function copyClosure(packages: readonly PackageCopy[], appDir: string, publishedFiles: ReadonlyMap<string, readonly string[]>, workspaceRoot: string): Promise<void> {
  const root = await realpath(workspaceRoot);
  const listed: string[] = [];
  for (const p of packages) {
    const dest = join(appDir, p.to);
    if (!p.workspace) {
      if (relative(root, p.from) !== p.to) throw new Error(`${p.name} is installed at ${p.from}, not at ${p.to}`);
      listed.push(p.to);
      for (const entry of await readdir(p.from, { recursive: true, withFileTypes: true })) {
        const path = relative(p.from, join(entry.parentPath, entry.name));
        if (path === 'node_modules' || path.startsWith(`node_modules${sep}`) || (!entry.isDirectory() && !isRuntimeFile(path))) continue;
        listed.push(join(p.to, path));
      }
      continue;
    }
    const files = publishedFiles.get(p.name);
    if (!files) throw new Error(`no published file list for the workspace package ${p.name}`);
    for (const file of files.filter(isRuntimeFile)) {
      await mkdir(dirname(join(dest, file)), { recursive: true });
      await cp(join(p.from, file), join(dest, file));
    }
  }
  await mkdir(appDir, { recursive: true });
  const listFile = join(appDir, '..', `.files-${process.pid}`);
  await writeFile(listFile, `${listed.join('\0')}\0`);
  try {
    await tarPipe(root, listFile, appDir);
  } finally {
    await rm(listFile, { force: true });
  }
}
