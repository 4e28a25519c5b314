/** How the reconciler judges its shared health reads (see Reconciler's health poll). Pure. */
import { type BackendStatus, backendAddressKey } from '../provider.ts';

/** Whether two health reads say the same of every registration. */
export function sameHealth(a: readonly BackendStatus[], b: readonly BackendStatus[]): boolean {
  const line = (s: BackendStatus) => `${backendAddressKey(s)}|${s.podUid ?? ''}|${s.weight}|${s.health}`;
  const x = a.map(line).sort();
  const y = b.map(line).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Every registration healthy or drained: no gate or judgement waits on the LB's next report. */
export function settled(statuses: readonly BackendStatus[]): boolean {
  return statuses.every((s) => s.weight === 0 || s.health === 'healthy' || s.health === 'draining');
}
