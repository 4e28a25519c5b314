/** The reaction bench's rows (one per provider and Service count) and the tables printed from them. */
import type { Percentiles } from '../scale/cluster.ts';
import type { ChildConfig } from '../scale/controller-protocol.ts';
import type { Table } from '../table.ts';
import type { ReactionBenchOptions } from './index.ts';
import type { ReactionSamples } from './timeline.ts';

/** The settings of a run: every option filled in. */
export type ReactionSettings = Required<Omit<ReactionBenchOptions, 'print'>>;

export interface ReactionRow {
  readonly provider: ChildConfig['provider'];
  readonly services: number;
  readonly pods: number;
  /** Fork of the controller to every initial pod's gate True. */
  readonly initialGatesSeconds: number;
  /** How long the churn took to issue (nominally replacements / rate). */
  readonly churnSeconds: number;
  readonly deletes: number;
  readonly samples: ReactionSamples;
  /** What the controller did from the start of the churn to its last sample. */
  readonly controller: ChurnActivity;
}

export interface ChurnActivity {
  readonly reconciles: number;
  readonly meanReconcileMs: number;
  readonly meanQueueWaitMs: number;
  /** Gate patches, events, finalizers, Service status. */
  readonly apiWrites: number;
  readonly meanApiWriteMs: number;
  readonly providerWrites: number;
  readonly cpuSeconds: number;
}

/** The three tables of a run: reaction times with ratios to the first Service count, the gate in segments, the controller's work. */
export function reactionTables(rows: readonly ReactionRow[], settings: ReactionSettings): Table[] {
  const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(0));
  const quad = (p: Percentiles) => [ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max)];
  const rowOf = (r: ReactionRow) => [r.provider, String(r.services)];
  const baseOf = (row: ReactionRow) => rows.find((r) => r.provider === row.provider && r.services === settings.serviceCounts[0]) ?? row;
  const ratio = (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) || y === 0 ? '-' : `${(x / y).toFixed(1)}×`);
  const churn =
    `${settings.replacements} replacements at ${settings.ratePerSecond}/s over min(services, ${settings.churnedServices}) Services, ` +
    `${settings.podsPerService} pods per Service, preStop ${settings.preStopSeconds} s`;
  const defaults = `controller in its own process: ${settings.workers} workers, health poll ${settings.healthPollMs} ms; local provider checks every ${settings.localHealthIntervalMs} ms, healthy after 2`;
  return [
    {
      title: `reaction (ms): gate = containers ready -> gate True; drain = DELETE accepted -> drain written to the provider. ${churn}; ${defaults}; ratios: p50 vs the ${settings.serviceCounts[0]}-Service row`,
      header: ['provider', 'services', 'gate p50', 'p95', 'p99', 'max', 'gate ×', 'drain p50', 'p95', 'p99', 'max', 'drain ×', 'samples g/d'],
      rows: rows.map((r) => [
        ...rowOf(r),
        ...quad(r.samples.gate),
        ratio(r.samples.gate.p50, baseOf(r).samples.gate.p50),
        ...quad(r.samples.drain),
        ratio(r.samples.drain.p50, baseOf(r).samples.drain.p50),
        `${r.samples.gate.n}/${r.samples.drain.n}`,
      ]),
    },
    {
      title:
        'reaction (ms): the gate in two segments: containers ready -> backend registered, registered -> gate True; ' +
        'drains missed: deleted pods gone (preStop over) before the controller drained them',
      header: ['provider', 'services', 'ready->reg p50', 'p95', 'p99', 'max', 'reg->gate p50', 'p95', 'p99', 'max', 'drains missed'],
      rows: rows.map((r) => [
        ...rowOf(r),
        ...quad(r.samples.readyToRegistered),
        ...quad(r.samples.registeredToGate),
        `${r.samples.missedDrains}/${r.deletes}`,
      ]),
    },
    {
      title:
        'reaction: the controller: start to every initial gate True, then during the churn ' +
        '(reconciles are serial per Service, 4 at a time; each awaits its API writes, pod gate patches up to 8 side by side)',
      header: ['provider', 'services', 'initial gates s', 'reconciles', 'reconcile ms', 'queue wait ms', 'API writes', 'per replacement', 'ms/API write', 'provider writes', 'CPU s'],
      rows: rows.map((r) => [
        ...rowOf(r),
        r.initialGatesSeconds.toFixed(1),
        String(r.controller.reconciles),
        r.controller.meanReconcileMs.toFixed(1),
        r.controller.meanQueueWaitMs.toFixed(1),
        String(r.controller.apiWrites),
        (r.controller.apiWrites / settings.replacements).toFixed(1),
        r.controller.meanApiWriteMs.toFixed(1),
        String(r.controller.providerWrites),
        r.controller.cpuSeconds.toFixed(1),
      ]),
    },
  ];
}
