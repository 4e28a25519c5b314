/**
 * The local load balancer's backends as its log tells them: each `backend health changed`
 * line names the backend's address, its pod and the state it moved to, so the last line per
 * (address, pod) is that backend's state now, for as long as it is registered. Removals are
 * not logged: callers look only at the pods they know to be current.
 */
import type { LogLine } from './controller-process.ts';

export interface LoggedBackend {
  readonly ip: string;
  readonly port: number;
  readonly podUid: string;
  /** The state of its last transition (`healthy`, `unhealthy`...). */
  readonly state: string;
  /** Index of that line in the log. */
  readonly line: number;
}

/** Splits `ip:port`, `[ip]:port` or an unbracketed `v6:addr:port` at its last colon. */
export function splitHostPort(text: string): { ip: string; port: number } {
  const at = text.lastIndexOf(':');
  return { ip: text.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(at + 1)) };
}

/** The last known state of every backend of Service `namespace/name` the log mentions. */
export function loggedBackends(lines: readonly LogLine[], service: string): LoggedBackend[] {
  const latest = new Map<string, LoggedBackend>();
  lines.forEach((line, index) => {
    if (line.msg !== 'backend health changed' || line['service'] !== service) return;
    const { ip, port } = splitHostPort(String(line['backend']));
    const podUid = String(line['podUid']);
    latest.set(`${ip}|${port}|${podUid}`, { ip, port, podUid, state: String(line['to']), line: index });
  });
  return [...latest.values()];
}

/** Per pod UID of `podUids`, the IPs of its backends the log last saw healthy, sorted. */
export function healthyIpsByPod(lines: readonly LogLine[], service: string, podUids: readonly string[]): Map<string, string[]> {
  const byPod = new Map<string, string[]>(podUids.map((uid) => [uid, []]));
  for (const b of loggedBackends(lines, service)) {
    if (b.state === 'healthy') byPod.get(b.podUid)?.push(b.ip);
  }
  for (const ips of byPod.values()) ips.sort();
  return byPod;
}
