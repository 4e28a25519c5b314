import { execFileSync } from 'node:child_process';
import { isProcessAlive } from './stale-files.ts';

/** Network namespaces the harness creates are named `sluice-<creator pid>-<random>`. */
export const NAMESPACE_PATTERN = /^sluice-(\d+)-[0-9a-f]+$/;

/** A fresh namespace name that records the creating process. */
export function namespaceName(random: string): string {
  return `sluice-${process.pid}-${random}`;
}

/** Names of the network namespaces currently present. */
export function listNamespaces(): string[] {
  const out = execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).trim();
  if (!out) return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/**
 * Deletes a namespace and everything in it: processes still inside are SIGKILLed first so the
 * kernel frees the namespace right away, and its veth pairs are deleted one by one before it,
 * since the kernel tears a namespace down in the background and its links (the root end
 * `sluice<octet>`, a pod link's end in another namespace) would otherwise outlive this call for
 * a moment. Errors are swallowed: a namespace that is already gone is the desired outcome.
 */
export function deleteNamespace(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  try {
    const veths = JSON.parse(execFileSync('ip', ['-n', name, '-j', 'link', 'show', 'type', 'veth'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || '[]');
    for (const { ifname } of veths as { ifname: string }[]) {
      try {
        execFileSync('ip', ['-n', name, 'link', 'del', ifname], { stdio: 'ignore' });
      } catch {
        // went with its peer
      }
    }
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // no such namespace
  }
}

/**
 * Removes namespaces left behind by earlier runs that died without cleaning up. Only
 * namespaces whose creator process no longer exists are touched, so a run going on in
 * parallel keeps its network. Returns the names removed.
 */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const match = NAMESPACE_PATTERN.exec(name);
    if (!match || isProcessAlive(Number(match[1]))) continue;
    deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}
