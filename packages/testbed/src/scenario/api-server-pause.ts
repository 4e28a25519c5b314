/**
 * Freezes the test's own kube-apiserver with SIGSTOP and thaws it with SIGCONT: every
 * request and watch hangs (nothing is refused, nothing fails fast), as when the API server
 * or the network to it stalls. Clients see only silence, which is what makes a leader miss
 * its renew deadline.
 *
 * The control plane does not expose the process, so it is found in /proc: the program
 * named `kube-apiserver` serving on the port of `server`, and it must be a child of this
 * test process (the harness starts it under `setpriv`, which execs in place). Nothing else
 * is ever signalled.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function descendsFromUs(pid: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 8; hops++) {
    p = parentOf(p);
    if (p === process.pid) return true;
  }
  return false;
}

/** The pid of this test's kube-apiserver serving `server` (an https://127.0.0.1:<port> URL). */
export function findApiServerPid(server: string): number {
  const port = new URL(server).port;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (basename(argv[0] ?? '') === 'kube-apiserver' && argv.includes(`--secure-port=${port}`)) found.push(Number(entry));
  }
  const ours = found.filter(descendsFromUs);
  if (ours.length !== 1) throw new Error(`expected one kube-apiserver on port ${port} started by this test, found ${ours.length} (of ${found.length} on that port)`);
  return ours[0]!;
}

export interface ApiServerPause {
  readonly pid: number;
  /** SIGCONT; safe to call more than once. */
  resume(): void;
  [Symbol.dispose](): void;
}

/** SIGSTOPs the API server of `server` until `resume()` (or dispose) sends SIGCONT. */
export function pauseApiServer(server: string): ApiServerPause {
  const pid = findApiServerPid(server);
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    process.off('exit', resume);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  };
  // Never leave a stopped process behind, even if the test dies between pause and resume.
  process.once('exit', resume);
  process.kill(pid, 'SIGSTOP');
  return { pid, resume, [Symbol.dispose]: resume };
}
