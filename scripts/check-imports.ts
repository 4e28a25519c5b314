/**
 * The cross-workspace import check (part of `npm test`): a workspace may import another one only
 * by its package name (`@sluice/testbed/harness`), never by a relative path into the other's
 * folder (`../../e2e/src/harness/x.ts`). A relative path couples two packages behind the back of
 * their exports maps: it breaks when either moves, and what it reaches is not what a published
 * package offers. Files of the repository root (scripts/) count as a workspace of their own.
 *
 * Run: `node scripts/check-imports.ts [root]` prints each offending import as file:line and exits 1
 * (root defaults to this repository).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One import that leaves its workspace by a relative path. */
export interface CrossImport {
  /** The importing file, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  /** The workspace folder (relative to the root) the import reaches into, or '.' for the root. */
  readonly reaches: string;
}

const SOURCE = /\.(?:ts|mts|cts|js|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo']);
// Static imports and re-exports, side-effect imports and dynamic import() with a string literal.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;

/** The workspace folders (absolute) named by the root package.json's `workspaces` globs. */
export function workspaceDirs(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const dirs: string[] = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      for (const name of safeReaddir(parent)) {
        const dir = join(parent, name);
        if (isDir(dir) && isFile(join(dir, 'package.json'))) dirs.push(dir);
      }
    } else if (isFile(join(root, pattern, 'package.json'))) dirs.push(join(root, pattern));
  }
  return dirs;
}

/** Every relative import under `root` that resolves outside the importing file's workspace. */
export function crossWorkspaceImports(root: string): CrossImport[] {
  const absRoot = resolve(root);
  const workspaces = workspaceDirs(absRoot);
  const owner = (path: string): string => workspaces.find((w) => path === w || path.startsWith(w + sep)) ?? absRoot;
  const found: CrossImport[] = [];
  for (const file of sourceFiles(absRoot)) {
    const home = owner(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[2]!;
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const target = resolve(dirname(file), specifier);
      const reached = owner(target);
      if (reached === home) continue;
      const line = text.slice(0, match.index).split('\n').length;
      found.push({ file: relative(absRoot, file), line, specifier, reaches: relative(absRoot, reached) || '.' });
    }
  }
  return found;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of safeReaddir(dir).sort()) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (isDir(path)) yield* sourceFiles(path);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
  const found = crossWorkspaceImports(root);
  for (const f of found) {
    console.error(`${f.file}:${f.line}: imports '${f.specifier}', a relative path into the workspace ${f.reaches}; import it by its package name instead.`);
  }
  console.log(`cross-workspace relative imports: ${found.length === 0 ? 'none' : found.length} (${workspaceDirs(root).length} workspaces checked)`);
  process.exit(found.length === 0 ? 0 : 1);
}
