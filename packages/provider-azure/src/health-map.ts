/**
 * Pool addresses plus Azure's per-rule health report -> Sluice backend health. Pure.
 *
 * - adminState `Down`: `draining` with weight 0, whatever the probe says (Sluice drained it);
 * - the health report says `Up`: `healthy`;
 * - `Down` with reason `Down_Probe_ApproachingHealthyThreshold` (recent probes succeed but
 *   not yet enough of them): `initial`;
 * - any other `Down`: `unhealthy`, with Azure's reason code;
 * - not in the report (not probed yet), or no report at all (the health API answered
 *   with an error or is not offered): `initial`, with the reason. A readiness gate then
 *   keeps waiting; it never opens on a guess.
 */
import type { LoadBalancerBackendAddress, LoadBalancerHealthPerRule } from '@azure/arm-network';
import type { BackendStatus } from '@sluice/core';
import { adminStateOf, DRAINING_ADMIN_STATE } from './pool-spec.ts';

const APPROACHING_HEALTHY = 'Down_Probe_ApproachingHealthyThreshold';

export function toBackendStatuses(
  servicePort: string,
  port: number,
  addresses: readonly LoadBalancerBackendAddress[],
  health: LoadBalancerHealthPerRule | undefined,
  unavailable?: string,
): BackendStatus[] {
  const report = new Map((health?.loadBalancerBackendAddresses ?? []).filter((h) => h.ipAddress !== undefined).map((h) => [h.ipAddress!, h]));
  const out: BackendStatus[] = [];
  for (const a of addresses) {
    const ip = a.ipAddress;
    if (ip === undefined) continue;
    if (adminStateOf(a) === DRAINING_ADMIN_STATE) {
      out.push({ servicePort, ip, port, weight: 0, health: 'draining', reason: 'adminState Down: no new flows, established TCP flows continue' });
      continue;
    }
    if (health === undefined) {
      out.push({ servicePort, ip, port, weight: 1, health: 'initial', reason: unavailable ?? 'no health report from Azure yet' });
      continue;
    }
    const entry = report.get(ip);
    if (entry === undefined) {
      out.push({ servicePort, ip, port, weight: 1, health: 'initial', reason: 'not yet in the load balancer health report' });
    } else if (entry.state === 'Up') {
      out.push({ servicePort, ip, port, weight: 1, health: 'healthy', ...(entry.reason ? { reason: entry.reason } : {}) });
    } else if (entry.state === 'Down' && entry.reason === APPROACHING_HEALTHY) {
      out.push({ servicePort, ip, port, weight: 1, health: 'initial', reason: entry.reason });
    } else {
      const reason = entry.state === 'Down' ? (entry.reason ?? 'Down') : `health state ${entry.state ?? 'unknown'}${entry.reason ? `: ${entry.reason}` : ''}`;
      out.push({ servicePort, ip, port, weight: 1, health: 'unhealthy', reason });
    }
  }
  return out;
}
