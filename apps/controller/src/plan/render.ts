/**
 * The two renderings of a plan. Text: one block per Service (a header, then one aligned row
 * per write, then the events), then the summary line. JSON: the array of PlanReports, sorted
 * by Service, with the fields always in the same order, for scripts and diffs.
 */
import type { PlanReport } from './plan-types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function headerState(p: PlanReport): string {
  if (p.status === 'error') return 'error';
  if (p.status === 'in-sync') return 'in sync';
  return plural(p.writes.length, 'change');
}

export function summaryLine(plans: readonly PlanReport[]): string {
  const count = (s: PlanReport['status']) => plans.filter((p) => p.status === s).length;
  return `${plural(plans.length, 'service')}: ${count('changes')} with changes, ${count('in-sync')} in sync, ${count('error')} with errors`;
}

/** Text lines (without newlines). */
export function renderText(plans: readonly PlanReport[]): string[] {
  const rows = plans.map((p) => p.writes.map((w) => [w.verb, w.object, w.address, w.detail]));
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
    for (const e of p.events) lines.push(`  event  ${e}`);
  });
  if (plans.length > 0) lines.push('');
  lines.push(summaryLine(plans));
  return lines;
}

/** JSON lines (without newlines) of the stable array. */
export function renderJson(plans: readonly PlanReport[]): string[] {
  return JSON.stringify(plans, null, 2).split('\n');
}
