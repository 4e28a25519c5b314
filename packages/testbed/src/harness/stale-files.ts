import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process with this pid exists (EPERM counts: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes `<dir>/<prefix><pid>-*` entries whose creating process is dead: the temp dirs of runs
 * that were killed before they could clean up. Entries of live processes are left alone.
 */
export async function removeStaleTempDirs(dir: string, prefix: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || isProcessAlive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
