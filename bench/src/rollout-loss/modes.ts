/**
 * The four controller configurations the rollout-loss bench compares: Sluice as shipped and
 * Sluice with its readiness gate, its drain, or both switched off by the comparison flags.
 */

export interface Mode {
  /** Short key for JSON and progress lines. */
  readonly key: 'sluice' | 'gate-only' | 'drain-only' | 'neither';
  /** Row label in the tables. */
  readonly label: string;
  /** Extra controller flags. */
  readonly flags: readonly string[];
}

export const MODES: readonly Mode[] = [
  { key: 'sluice', label: 'Sluice (gate + drain)', flags: [] },
  { key: 'gate-only', label: 'gate only (--no-drain)', flags: ['--no-drain'] },
  { key: 'drain-only', label: 'drain only (--no-readiness-gate)', flags: ['--no-readiness-gate'] },
  { key: 'neither', label: 'neither (both flags)', flags: ['--no-readiness-gate', '--no-drain'] },
];

/** What the pod app does on SIGTERM (see packages/testbed/src/harness/pod-app.ts). */
export const BEHAVIOURS = ['keep-serving', 'close'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/**
 * Flags every mode gets beyond the provider's own (the timing profile sets the LB's health-check
 * interval): gate polling every 100 ms and a 30 s resync, as the local e2e uses them. One
 * controller runs at a time, so leader election is off (it would only add a Lease round trip at start).
 */
export const COMMON_FLAGS: readonly string[] = ['--health-poll-ms', '100', '--resync-period', '30', '--no-leader-elect'];
