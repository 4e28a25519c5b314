/**
 * What the simulator can do with a container's preStop hook. Real containers run arbitrary
 * commands; here only the part that matters for draining is kept: how long the hook delays
 * SIGTERM. Pure.
 */
import type { V1Container } from '@kubernetes/client-node';

/** The simulated effect of a preStop hook. */
export type PreStopAction =
  | { kind: 'none' }
  | { kind: 'sleep'; seconds: number }
  | { kind: 'httpGet'; path: string; port: number | string };

const SLEEP_COMMAND = /(?:^|[\s/;&|])sleep\s+(\d+(?:\.\d+)?)s?(?:$|[\s;&|])/;

/**
 * Maps `lifecycle.preStop` to an action: `sleep.seconds`; an `exec` command containing
 * `sleep N` (such as `["sleep","5"]` or `["/bin/sh","-c","sleep 5"]`) becomes that sleep; an
 * `httpGet` is performed against the pod. Any other exec command has no simulated effect.
 */
export function preStopAction(container: V1Container): PreStopAction {
  const hook = container.lifecycle?.preStop;
  if (!hook) return { kind: 'none' };
  if (hook.sleep) return { kind: 'sleep', seconds: hook.sleep.seconds };
  if (hook.exec?.command) {
    const match = SLEEP_COMMAND.exec(hook.exec.command.join(' '));
    if (match) return { kind: 'sleep', seconds: Number(match[1]) };
    return { kind: 'none' };
  }
  if (hook.httpGet) return { kind: 'httpGet', path: hook.httpGet.path || '/', port: hook.httpGet.port as number | string };
  return { kind: 'none' };
}
