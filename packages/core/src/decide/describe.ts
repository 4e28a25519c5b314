/**
 * A plan as the list of writes it makes, in execution order: what `sluice plan` prints and
 * what tests hold the reconciler's real writes against. One row per write to the load
 * balancer (per backend for backend changes) or to the cluster; events are reports, listed
 * apart.
 */
import type { BackendAction } from '../plan/plan.ts';
import type { Backend } from '../provider.ts';
import type { ServicePlan } from './types.ts';

export interface PlanRow {
  /** What is done: `create`, `ensure`, `delete`, `drain`, `register`, `reweight`, `deregister`, `add finalizer`, ... */
  readonly verb: string;
  /** The object: a pod `namespace/name`, a load balancer, a finalizer or annotation. */
  readonly object: string;
  /** The backend address `ip:port` for backend rows, else ''. */
  readonly address: string;
  readonly detail: string;
}

const hostPort = (b: { ip: string; port: number }) => (b.ip.includes(':') ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`);

function backendRow(ns: string, a: BackendAction): PlanRow {
  switch (a.kind) {
    case 'register':
      return {
        verb: 'register',
        object: `${ns}/${a.backend.podName}`,
        address: hostPort(a.backend),
        detail: `port ${a.backend.servicePort}  weight ${a.backend.weight}${a.replacesPodUid !== undefined ? `  replaces pod ${a.replacesPodUid}` : ''}`,
      };
    case 'reweight':
      return { verb: 'reweight', object: `${ns}/${a.backend.podName}`, address: hostPort(a.backend), detail: `port ${a.backend.servicePort}  weight ${a.fromWeight} -> ${a.backend.weight}` };
    case 'drain':
      return { verb: 'drain', object: `${ns}/${a.backend.podName}`, address: hostPort(a.backend), detail: `port ${a.backend.servicePort}` };
    case 'deregister':
      return { verb: 'deregister', object: a.actual.podUid ? `pod ${a.actual.podUid}` : '(pod unknown)', address: hostPort(a.actual), detail: `port ${a.actual.servicePort}` };
  }
}

function createRow(name: string, backends: readonly Backend[]): PlanRow {
  return { verb: 'create', object: `load balancer ${name}`, address: '', detail: `with ${backends.length} backend${backends.length === 1 ? '' : 's'}` };
}

/** The plan's writes, in the order the reconciler makes them. */
export function planRows(plan: ServicePlan): PlanRow[] {
  const ns = plan.view.namespace;
  const rows: PlanRow[] = [];
  if (plan.finalizers?.kind === 'add') rows.push({ verb: 'add finalizer', object: plan.finalizers.value.at(-1) ?? '', address: '', detail: '' });
  rows.push(...plan.drains.map((a) => backendRow(ns, a)));
  const op = plan.loadBalancerOp;
  if (op?.kind === 'create') {
    rows.push(createRow(plan.loadBalancer, op.backends));
    rows.push(...op.registers.map((a) => backendRow(ns, a)));
  } else if (op?.kind === 'ensure') {
    const why = { 'spec-changed': 'the Service changed', 'drift-check': 'periodic drift check', unrecorded: 'no applied spec recorded on the Service' }[op.reason];
    rows.push({ verb: 'ensure', object: `load balancer ${plan.loadBalancer}`, address: '', detail: `${why}${op.removedPorts.length ? `; removes port ${op.removedPorts.join(', ')}` : ''}` });
    for (const b of plan.holding.filter((h) => op.removedPorts.includes(h.servicePort))) {
      rows.push({ verb: 'deregister', object: b.podUid ? `pod ${b.podUid}` : '(pod unknown)', address: hostPort(b), detail: `port ${b.servicePort} left the Service` });
    }
  } else if (op?.kind === 'delete') {
    rows.push({ verb: 'delete', object: `load balancer ${plan.loadBalancer}`, address: '', detail: op.exists === false ? `${op.reason} (not found: only the finalizer is released)` : op.reason });
  }
  rows.push(...plan.backends.map((a) => backendRow(ns, a)));
  if (plan.appliedSpec !== undefined) rows.push({ verb: 'annotate', object: 'sluice.dev/applied-spec', address: '', detail: plan.appliedSpec });
  const ingress = plan.ingress;
  if (ingress?.kind === 'set') rows.push({ verb: 'set ingress', object: ingress.ingress.map((i) => i.hostname ?? i.ip ?? '').join(', '), address: '', detail: '' });
  if (ingress?.kind === 'from-ensure') rows.push({ verb: 'set ingress', object: '(from the load balancer, if it changed)', address: '', detail: '' });
  if (ingress?.kind === 'clear') rows.push({ verb: 'clear ingress', object: '', address: '', detail: '' });
  if (plan.finalizers?.kind === 'remove') rows.push({ verb: 'remove finalizer', object: 'sluice.dev/load-balancer-cleanup', address: '', detail: '' });
  for (const g of plan.gates) rows.push({ verb: 'set gate', object: `${g.pod.namespace}/${g.pod.name}`, address: '', detail: `${g.condition.status}  ${g.condition.reason}` });
  return rows;
}

/** The plan's events, as `Type Reason kind/name: message`. */
export function planEvents(plan: ServicePlan): string[] {
  return plan.events.map((e) => `${e.type} ${e.reason} ${e.object.kind.toLowerCase()}/${e.object.namespace}/${e.object.name}: ${e.message}`);
}
