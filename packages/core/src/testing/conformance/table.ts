/**
 * The conformance table: one row per case, one column per target, each cell `pass`, `FAIL`,
 * `n/a` or `-` (not run), then a numbered note for every cell that is not `pass`, so an n/a
 * always shows its reason and a failure its message.
 */
import type { ConformanceCase, ConformanceResult } from './types.ts';

export interface TableLayout {
  /** Rows, in order. @default the cases of the results, in order of first appearance */
  readonly cases?: readonly Pick<ConformanceCase, 'id' | 'title'>[];
  /** Columns, in order. @default the targets of the results, in order of first appearance */
  readonly targets?: readonly string[];
}

const CELL = { pass: 'pass', fail: 'FAIL', 'n/a': 'n/a' } as const;

/** The results as a text table with notes; see the module comment. */
export function conformanceTable(results: readonly ConformanceResult[], layout: TableLayout = {}): string {
  const cases = layout.cases ?? unique(results.map((r) => ({ id: r.caseId, title: r.caseTitle })), (c) => c.id);
  const targets = layout.targets ?? unique(results.map((r) => r.target), (t) => t);
  const notes: string[] = [];
  const rows = cases.map((c) => [
    c.title,
    ...targets.map((t) => {
      const r = results.find((x) => x.caseId === c.id && x.target === t);
      if (!r) return '-';
      if (r.status === 'pass') return CELL.pass;
      notes.push(`${c.title} [${t}]: ${CELL[r.status]}: ${r.detail ?? ''}`.trimEnd());
      return `${CELL[r.status]} (${notes.length})`;
    }),
  ]);
  const header = ['case', ...targets];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
  if (notes.length > 0) out.push('', ...notes.map((n, i) => `(${i + 1}) ${n}`));
  return out.join('\n');
}

function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
