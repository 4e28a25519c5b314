/**
 * An HTTP health check: `GET path` with `Connection: close`, from the check's source address
 * when set. Success means a response whose status the matcher accepts arrived within the
 * timeout; the body is discarded.
 */
import { request } from 'node:http';
import { type Probe, type ProbeTarget, probeSkeleton } from './probe.ts';
import type { StatusMatcher } from './status-matcher.ts';

export interface HttpProbeTarget extends ProbeTarget {
  readonly path: string;
  readonly hostHeader: string;
  readonly matcher: StatusMatcher;
}

export function probeHttp(target: HttpProbeTarget): Probe {
  const req = request({
    host: target.host,
    port: target.port,
    path: target.path,
    method: 'GET',
    agent: false,
    headers: { host: target.hostHeader, 'user-agent': 'sluice-dataplane-health-check', connection: 'close' },
    ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
  });
  const { probe, finish } = probeSkeleton(target, () => req.destroy());
  req.on('response', (res) => {
    res.resume();
    const status = res.statusCode ?? 0;
    if (target.matcher.matches(status)) finish({ ok: true });
    else finish({ ok: false, reason: `HTTP status ${status} is not in ${target.matcher.text}` });
  });
  req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: error.code ?? error.message }));
  req.end();
  return probe;
}
