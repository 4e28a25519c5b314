/** The rollout-loss tables: loss and rollout time per mode and behaviour, failures by cause, the controller's view. */

import type { Table } from '../table.ts';
import type { Behaviour, Mode } from './modes.ts';

/** One mode with one SIGTERM behaviour: `rollouts` rolling updates under load. */
export interface RolloutRow {
  readonly mode: Mode['key'];
  readonly label: string;
  readonly flags: readonly string[];
  readonly sigterm: Behaviour;
  readonly requests: number;
  readonly failed: number;
  readonly failedPercent: number;
  /** Failed requests by cause (error code, `TIMEOUT` or `HTTP <status>`). */
  readonly failures: Readonly<Record<string, number>>;
  /** How long the load ran: the rollouts plus 1 s before and after. */
  readonly loadMs: number;
  /** Requests the load generator reached per second (offered: `ratePerSecond`). */
  readonly requestsPerSecond: number;
  /**
   * Each rolling update: restart patch -> the Deployment reports it complete (every replica
   * updated and available; what `kubectl rollout status` waits for). The next one starts then.
   */
  readonly rolloutsMs: readonly number[];
  readonly meanRolloutMs: number;
  /** After the last rollout completed: until its old pods were gone (the load runs on until then). */
  readonly settleMs: number;
  /** First restart -> last old pod gone: the rollouts plus the settle time. */
  readonly totalRolloutMs: number;
  /** Distinct pods that answered at least one request. */
  readonly podsAnswered: number;
  /** `gate passed` lines the controller logged during this run, and their wait. */
  readonly gatePasses: number;
  readonly gateWaitP50Ms: number;
  readonly gateWaitP95Ms: number;
  /** `drain applied` lines the controller logged during this run, and their latency. */
  readonly drainsApplied: number;
  readonly drainP50Ms: number;
  /** Wall time of the whole run: namespace, Deployment, rollouts, cleanup. */
  readonly wallMs: number;
}

export interface TableSettings {
  readonly replicas: number;
  readonly rollouts: number;
  readonly ratePerSecond: number;
  readonly freshWorkers: number;
  readonly keepAliveWorkers: number;
  readonly maxConnectionAgeMs: number;
  readonly maxSurge: number | string;
  readonly maxUnavailable: number | string;
  readonly preStopSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  readonly modes: readonly Mode['key'][];
  readonly behaviours: readonly Behaviour[];
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(0));

export function buildTables(settings: TableSettings, rows: readonly RolloutRow[]): Table[] {
  const sluice = (sigterm: Behaviour) => rows.find((r) => r.mode === 'sluice' && r.sigterm === sigterm);
  const causes = [...new Set(rows.flatMap((r) => Object.keys(r.failures)))].sort(
    (a, b) => total(rows, b) - total(rows, a) || a.localeCompare(b),
  );
  const freshShare = Math.round((100 * settings.freshWorkers) / (settings.freshWorkers + settings.keepAliveWorkers));
  return [
    {
      title:
        `rollout-loss: ${settings.replicas} replicas, ${settings.rollouts} back-to-back rolling updates per run ` +
        `(maxSurge ${settings.maxSurge}, maxUnavailable ${settings.maxUnavailable}, preStop sleep ${settings.preStopSeconds} s, ` +
        `grace ${settings.terminationGracePeriodSeconds} s); ${settings.ratePerSecond} req/s offered, ` +
        `${freshShare}% on new connections, the rest on keep-alive connections retired after ${settings.maxConnectionAgeMs} ms. ` +
        'rollout s: restart -> Deployment complete (the next restart follows at once); total s: first restart -> last old pod gone',
      header: ['mode', 'SIGTERM', 'requests', 'req/s', 'failed', 'failed %', 'rollout s (mean)', 'vs Sluice', 'total s'],
      rows: rows.map((r) => {
        const base = sluice(r.sigterm);
        return [
          r.label,
          r.sigterm,
          String(r.requests),
          r.requestsPerSecond.toFixed(0),
          String(r.failed),
          r.failedPercent.toFixed(3),
          seconds(r.meanRolloutMs),
          base && base.meanRolloutMs > 0 ? `${(r.meanRolloutMs / base.meanRolloutMs).toFixed(2)}×` : '-',
          seconds(r.totalRolloutMs),
        ];
      }),
    },
    {
      title: 'rollout-loss: failed requests by cause (as the client saw them)',
      header: ['mode', 'SIGTERM', 'failed', ...(causes.length > 0 ? causes : ['(none)'])],
      rows: rows.map((r) => [r.label, r.sigterm, String(r.failed), ...(causes.length > 0 ? causes.map((c) => String(r.failures[c] ?? 0)) : ['-'])]),
    },
    {
      title: "rollout-loss: the controller's view of each run (from its log), and each rollout's duration",
      header: ['mode', 'SIGTERM', 'gates passed', 'gate wait p50 ms', 'p95 ms', 'drains applied', 'drain p50 ms', 'pods answered', 'rollouts s', 'settle s', 'run wall s'],
      rows: rows.map((r) => [
        r.label,
        r.sigterm,
        String(r.gatePasses),
        ms(r.gateWaitP50Ms),
        ms(r.gateWaitP95Ms),
        String(r.drainsApplied),
        ms(r.drainP50Ms),
        String(r.podsAnswered),
        r.rolloutsMs.map(seconds).join(' '),
        seconds(r.settleMs),
        seconds(r.wallMs),
      ]),
    },
  ];
}

function total(rows: readonly RolloutRow[], cause: string): number {
  return rows.reduce((n, r) => n + (r.failures[cause] ?? 0), 0);
}
