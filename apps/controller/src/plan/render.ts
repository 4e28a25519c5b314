/**
 * The two renderings of a plan. Text: one block per Service (a header, then one aligned
 * row per action), then the summary line. JSON: the array of ServicePlans, sorted by
 * Service, with the fields always in the same order, for scripts and diffs.
 */
import type { ClusterAction, ProviderAction, ServicePlan } from './plan-types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function providerRow(a: ProviderAction): string[] {
  switch (a.kind) {
    case 'create':
      return ['create', `load balancer ${a.loadBalancer}`, '', `with ${plural(a.backends, 'backend')}`];
    case 'update':
      return ['update', `load balancer ${a.loadBalancer}`, '', a.reason];
    case 'delete':
      return ['delete', `load balancer ${a.loadBalancer}`, '', a.exists ? a.reason : `${a.reason} (not found: only the finalizer is released)`];
    case 'register':
      return ['register', a.pod, a.address, `port ${a.servicePort}  weight ${a.weight}${a.replacesPodUid !== undefined ? `  replaces pod ${a.replacesPodUid}` : ''}`];
    case 'reweight':
      return ['reweight', a.pod, a.address, `port ${a.servicePort}  weight ${a.fromWeight} -> ${a.weight}`];
    case 'drain':
      return ['drain', a.pod, a.address, `port ${a.servicePort}`];
    case 'deregister':
      return ['deregister', a.pod || '(unknown pod)', a.address, `port ${a.servicePort}  ${a.reason}`];
  }
}

function clusterRow(a: ClusterAction): string[] {
  switch (a.kind) {
    case 'add-finalizer':
      return ['add finalizer', a.finalizer, '', ''];
    case 'remove-finalizer':
      return ['remove finalizer', a.finalizer, '', ''];
    case 'set-ingress':
      return ['set ingress', a.ingress ? a.ingress.map((i) => i.hostname ?? i.ip ?? '').join(', ') : '(from the new load balancer)', '', ''];
    case 'clear-ingress':
      return ['clear ingress', '', '', ''];
    case 'set-gate':
      return ['set gate', a.pod, '', `${a.status}  ${a.reason}`];
  }
}

function headerState(p: ServicePlan): string {
  if (p.status === 'error') return 'error';
  if (p.status === 'in-sync') return 'in sync';
  return plural(p.actions.length + p.cluster.length, 'change');
}

export function summaryLine(plans: readonly ServicePlan[]): string {
  const count = (s: ServicePlan['status']) => plans.filter((p) => p.status === s).length;
  return `${plural(plans.length, 'service')}: ${count('changes')} with changes, ${count('in-sync')} in sync, ${count('error')} with errors`;
}

/** Text lines (without newlines). */
export function renderText(plans: readonly ServicePlan[]): string[] {
  const rows = plans.map((p) => [...p.actions.map(providerRow), ...p.cluster.map(clusterRow)]);
  const widths = [0, 0, 0];
  for (const row of rows.flat()) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
  const lines: string[] = [];
  plans.forEach((p, n) => {
    if (n > 0) lines.push('');
    lines.push(`${p.service}  load balancer ${p.loadBalancer}: ${headerState(p)}`);
    if (p.error !== undefined) lines.push(`  error: ${p.error}`);
    for (const row of rows[n]!) {
      const cells = row.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c));
      lines.push(`  ${cells.join('  ')}`.trimEnd());
    }
  });
  if (plans.length > 0) lines.push('');
  lines.push(summaryLine(plans));
  return lines;
}

/** JSON lines (without newlines) of the stable array. */
export function renderJson(plans: readonly ServicePlan[]): string[] {
  return JSON.stringify(plans, null, 2).split('\n');
}
