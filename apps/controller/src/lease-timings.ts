/**
 * The leader-election timings must keep `retry period < renew deadline < lease duration`.
 * A timing the user did not give is never blamed for breaking that order:
 *
 * 1. Timings the user gave are used as given; two given ones out of order are an error
 *    naming both.
 * 2. The timings left out keep their defaults (15 s, 10 s, 2 s) when those fit around the
 *    given ones. When they do not, the left-out timings next to a given one are scaled from
 *    it by the default ratio 15 : 10 : 2, from the longer given neighbour first: a lease
 *    duration of 5 s alone gives a renew deadline of 3.333 s and a retry period of 0.667 s;
 *    a renew deadline of 20 s alone gives a lease duration of 30 s (the retry period of 2 s
 *    still fits).
 * 3. Only a renew deadline left out between a given lease duration and retry period can be
 *    impossible to scale (neither 2/3 of the lease duration nor 5 x the retry period lies
 *    between them); the error then says the renew deadline is the default and what to pass.
 */

/** One timing: its flag, the value in use (given, or the default) and its default. */
export interface LeaseTiming {
  readonly flag: string;
  readonly ms: number;
  readonly defaultMs: number;
  readonly given: boolean;
}

export interface LeaseTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

const seconds = (ms: number): string => String(ms / 1000);

/** Resolves the timings by the rule above; returns the error sentence when it cannot. */
export function resolveLeaseTimings(lease: LeaseTiming, renew: LeaseTiming, retry: LeaseTiming): LeaseTimings | string {
  // Longest first: each must be more than the next.
  const t = [lease, renew, retry];
  const ms = t.map((x) => (x.given ? x.ms : x.defaultMs));
  const given = t.map((x) => x.given);

  const givenIdx = [0, 1, 2].filter((i) => given[i]);
  for (let k = 1; k < givenIdx.length; k++) {
    const [hi, lo] = [givenIdx[k - 1]!, givenIdx[k]!];
    if (ms[lo]! >= ms[hi]!) return `--${t[lo]!.flag} ${seconds(ms[lo]!)} must be less than --${t[hi]!.flag} ${seconds(ms[hi]!)}.`;
  }

  const fits = (v: readonly number[]): boolean => v[0]! > v[1]! && v[1]! > v[2]!;
  if (fits(ms)) return { leaseDurationMs: ms[0]!, renewDeadlineMs: ms[1]!, retryPeriodMs: ms[2]! };

  // A run of left-out timings, scaled as a unit from the given timing `from`.
  const scaled = (v: readonly number[], run: readonly number[], from: number): number[] => {
    const out = [...v];
    for (const i of run) out[i] = Math.round((v[from]! * t[i]!.defaultMs) / t[from]!.defaultMs);
    return out;
  };
  const free = [0, 1, 2].filter((i) => !given[i]);
  if (givenIdx.length === 1) {
    // Scale each side of the one given timing from it, and keep a side whose defaults fit.
    const g = givenIdx[0]!;
    let v = [...ms];
    const above = free.filter((i) => i < g);
    const below = free.filter((i) => i > g);
    if (above.length > 0 && ms[g - 1]! <= ms[g]!) v = scaled(v, above, g);
    if (below.length > 0 && ms[g + 1]! >= ms[g]!) v = scaled(v, below, g);
    return { leaseDurationMs: v[0]!, renewDeadlineMs: v[1]!, retryPeriodMs: v[2]! };
  }
  // Two given (no given ones means the defaults, which fit): one timing is left out.
  const i = free[0]!;
  if (i === 0) {
    return { leaseDurationMs: scaled(ms, [0], 1)[0]!, renewDeadlineMs: ms[1]!, retryPeriodMs: ms[2]! };
  }
  if (i === 2) {
    return { leaseDurationMs: ms[0]!, renewDeadlineMs: ms[1]!, retryPeriodMs: scaled(ms, [2], 1)[2]! };
  }
  // The renew deadline, between a given lease duration and retry period.
  for (const from of [0, 2]) {
    const v = scaled(ms, [1], from);
    if (fits(v)) return { leaseDurationMs: v[0]!, renewDeadlineMs: v[1]!, retryPeriodMs: v[2]! };
  }
  // The flag takes whole seconds: name it only when a whole second lies between the two.
  const room = Math.floor(ms[2]! / 1000) + 1 < ms[0]! / 1000;
  const fix = room ? `pass a --${renew.flag} between ${seconds(ms[2]!)} and ${seconds(ms[0]!)}` : `pass a larger --${lease.flag} or a smaller --${retry.flag}`;
  return `--${renew.flag} ${seconds(renew.defaultMs)} (the default) must be less than --${lease.flag} ${seconds(ms[0]!)} and more than --${retry.flag} ${seconds(ms[2]!)}; ${fix}.`;
}
