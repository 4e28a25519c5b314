/** The `ip` (iproute2) command, the one way the harness changes the machine's network. */
import { execFileSync } from 'node:child_process';

/**
 * Runs `ip <args>` and returns its stdout. Throws when it fails; the error's `stderr` holds
 * iproute2's own message (e.g. "File exists" when a claimed interface name is taken).
 */
export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like {@link ip}, but a failure is ignored: for removing what may already be gone. */
export function ipQuietly(args: readonly string[]): void {
  try {
    ip(args);
  } catch {
    // already gone, as expected
  }
}
