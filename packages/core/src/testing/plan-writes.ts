/**
 * Holds a reconcile's real writes against its plan: the provider calls (as the backend-set
 * changes each one made) and the cluster writes, in the vocabulary of {@link planRows}. A
 * test that runs a reconcile through this proves `sluice plan` prints what the reconciler does.
 */
import { planRows } from '../decide/describe.ts';
import type { ServicePlan } from '../decide/types.ts';
import type { Backend } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';
import type { ClusterWrite } from './fake-cluster.ts';
import type { RecordedCall } from './recording-provider.ts';

export interface WriteRow {
  readonly verb: string;
  readonly object: string;
  readonly address: string;
}

const hostPort = (b: { ip: string; port: number }) => (b.ip.includes(':') ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`);

function diff(namespace: string, prev: readonly Backend[], next: readonly Backend[]): WriteRow[] {
  const rows: WriteRow[] = [];
  const before = new Map(prev.map((b) => [backendAddressKey(b), b]));
  const after = new Map(next.map((b) => [backendAddressKey(b), b]));
  for (const [k, b] of after) {
    const p = before.get(k);
    if (!p || p.podUid !== b.podUid) rows.push({ verb: 'register', object: `${namespace}/${b.podName}`, address: hostPort(b) });
    else if (p.weight !== b.weight) rows.push({ verb: b.weight === 0 ? 'drain' : 'reweight', object: `${namespace}/${b.podName}`, address: hostPort(b) });
  }
  for (const [k, p] of before) if (!after.has(k)) rows.push({ verb: 'deregister', object: '', address: hostPort(p) });
  return rows;
}

/** The writes a provider received, starting from the set it held (`undefined`: no LB). */
export function providerWriteRows(namespace: string, loadBalancer: string, held: readonly Backend[] | undefined, calls: readonly RecordedCall[]): WriteRow[] {
  const rows: WriteRow[] = [];
  let set = held;
  for (const call of calls) {
    if (call.failed) continue; // it changed nothing
    if (call.method === 'ensureLoadBalancer') {
      rows.push({ verb: set === undefined ? 'create' : 'ensure', object: `load balancer ${loadBalancer}`, address: '' });
      rows.push(...diff(namespace, set ?? [], call.backends ?? []));
      set = call.backends ?? [];
    } else if (call.method === 'updateLoadBalancer') {
      rows.push(...diff(namespace, set ?? [], call.backends ?? []));
      set = call.backends ?? [];
    } else if (call.method === 'ensureLoadBalancerDeleted') {
      rows.push({ verb: 'delete', object: `load balancer ${loadBalancer}`, address: '' });
      set = undefined;
    }
  }
  return rows;
}

const line = (r: WriteRow) => (r.address ? `${r.verb} ${r.address}${r.verb === 'deregister' ? '' : ` ${r.object}`}` : `${r.verb} ${r.object}`);

/**
 * The plan's rows and the writes made, each as sorted lines; equal when the reconcile did
 * exactly what the plan says. An ingress taken from ensureLoadBalancer is written only when it
 * changed, so that one planned row may be absent.
 */
export function writesMatchPlan(plan: ServicePlan, provider: readonly WriteRow[], cluster: readonly ClusterWrite[]): { planned: string[]; made: string[] } {
  const made = [...provider.map(line), ...cluster.map((c) => (c.verb === 'set gate' ? `set gate ${c.object} ${c.detail}` : c.verb === 'set ingress' || c.verb === 'clear ingress' ? c.verb : c.verb === 'annotate' ? `annotate ${c.object}` : `${c.verb} ${c.object}`))];
  const planned = planRows(plan)
    .filter((r) => !(r.verb === 'set ingress' && plan.ingress?.kind === 'from-ensure' && !made.includes('set ingress')))
    .map((r) => (r.verb === 'set gate' ? `set gate ${r.object} ${r.detail}` : r.verb === 'set ingress' || r.verb === 'clear ingress' ? r.verb : line({ verb: r.verb, object: r.object, address: r.address })));
  return { planned: planned.sort(), made: made.sort() };
}
