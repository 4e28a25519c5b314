/**
 * "Did you mean": the known flag an unknown one was most likely meant to be, or nothing.
 * A guess is offered only when it is close; a wrong guess costs more than none.
 */

/** Optimal-string-alignment Damerau-Levenshtein distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const MAX_DISTANCE = 2;

/** Each dash-separated word of one is a prefix of the same word of the other: `leader-elect-lease-duration`. */
function sameWords(a: string, b: string): boolean {
  const wa = a.split('-');
  const wb = b.split('-');
  return wa.length === wb.length && wa.every((w, i) => w !== '' && (wb[i]!.startsWith(w) || w.startsWith(wb[i]!)));
}

/**
 * The flag (without `--`) that `typed` was probably meant to be, in this order of evidence:
 * the same name but for case, underscores or extra dashes; an edit distance of at most 2
 * (the closest, the first listed on a tie); the same words abbreviated; the start of exactly
 * one flag's name; a flag's whole name followed by extra text (the longest such flag).
 */
export function suggestFlag(typed: string, names: readonly string[]): string | undefined {
  const t = typed.toLowerCase().replaceAll('_', '-').replace(/^-+/, '');
  if (t === '') return undefined;
  if (names.includes(t)) return t;
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const n of names) {
    const d = editDistance(t, n);
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  if (best !== undefined) return best;
  const unique = (found: readonly string[]): string | undefined => (found.length === 1 ? found[0] : undefined);
  return (
    unique(names.filter((n) => sameWords(t, n))) ??
    unique(names.filter((n) => n.startsWith(t))) ??
    names.filter((n) => t.startsWith(n)).sort((a, b) => b.length - a.length)[0]
  );
}
