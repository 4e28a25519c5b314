/**
 * The dataplane bench's printed tables. The first puts the three load balancers side by side,
 * one measure per line, with the engine's ratios to HAProxy and out of process to in process;
 * a ratio is always value ÷ value, so above 1× is better for req/s and worse for the rest.
 */
import type { Table } from '../table.ts';
import type { DrainResult } from './drain-test.ts';
import type { DataplaneSettings, DrainRow, RunSummary, TargetKey, ThroughputRow } from './result.ts';

type Measure = (row: ThroughputRow) => number | undefined;

export function buildTables(settings: DataplaneSettings, throughput: readonly ThroughputRow[], drain: readonly DrainRow[]): Table[] {
  return [comparisonTable(settings, throughput), spreadTable(settings, throughput), drainTable(settings, drain)];
}

function comparisonTable(settings: DataplaneSettings, throughput: readonly ThroughputRow[]): Table {
  const row = (key: TargetKey): ThroughputRow => {
    const found = throughput.find((r) => r.key === key);
    if (found === undefined) throw new Error(`the dataplane bench measured no ${key} row`);
    return found;
  };
  const haproxy = row('haproxy');
  const inProcess = row('in-process');
  const outOfProcess = row('out-of-process');
  const line = (label: string, measure: Measure, format: (n: number) => string): string[] => {
    const [h, i, o] = [measure(haproxy), measure(inProcess), measure(outOfProcess)];
    const cell = (n: number | undefined): string => (n === undefined ? '-' : format(n));
    return [label, cell(h), cell(i), cell(o), ratio(i, h), ratio(o, h), ratio(o, i)];
  };
  const run = (kind: 'keepAlive' | 'newConnections', label: string): string[][] => [
    line(`${label} req/s`, (r) => r[kind].requestsPerSecond, fixed(0)),
    line(`${label} p50 ms`, (r) => r[kind].p50Us / 1000, fixed(2)),
    line(`${label} p99 ms`, (r) => r[kind].p99Us / 1000, fixed(2)),
    line(`${label} LB CPU µs/req`, (r) => r.lbCpu[kind].usPerRequest, fixed(1)),
  ];
  const unloaded = (measure: (u: RunSummary) => number): Measure => (r) => (r.unloaded === undefined ? undefined : measure(r.unloaded));
  return {
    title:
      `dataplane: HAProxy tcp vs the @sluice/dataplane engine in process and out of process; wrk ${settings.threads} threads, ` +
      `${settings.connections} connections, ${settings.rounds} × ${settings.durationSeconds} s per target and kind (medians); ` +
      '3 Node backends; each LB on one thread; ratio = value ÷ value (above 1× is better for req/s, worse for the rest)',
    header: ['measure', haproxy.target, inProcess.target, outOfProcess.target, 'in ÷ HAProxy', 'out ÷ HAProxy', 'out ÷ in'],
    rows: [
      ...run('keepAlive', 'keep-alive'),
      ...run('newConnections', 'new conns'),
      ...(haproxy.unloaded === undefined
        ? []
        : [
            line('1 conn req/s', unloaded((u) => u.requestsPerSecond), fixed(0)),
            line('1 conn p50 µs', unloaded((u) => u.p50Us), fixed(0)),
            line('1 conn p99 µs', unloaded((u) => u.p99Us), fixed(0)),
          ]),
      line('LB peak RSS MB', (r) => r.lbPeakRssBytes / 2 ** 20, fixed(1)),
    ],
  };
}

function spreadTable(settings: DataplaneSettings, throughput: readonly ThroughputRow[]): Table {
  const range = (s: RunSummary): string => `${s.minRequestsPerSecond.toFixed(0)}-${s.maxRequestsPerSecond.toFixed(0)}`;
  const cores = (n: number): string => `${(n * 100).toFixed(0)}%`;
  return {
    title: `dataplane: spread over the ${settings.rounds} rounds, the LB's CPU (100% = one core) and wrk errors`,
    header: ['target', 'keep-alive req/s min-max', 'new conns req/s min-max', 'LB CPU keep-alive', 'LB CPU new conns', 'errors'],
    rows: throughput.map((r) => [
      r.target,
      range(r.keepAlive),
      range(r.newConnections),
      cores(r.lbCpu.keepAlive.cores),
      cores(r.lbCpu.newConnections.cores),
      String(r.keepAlive.errors + r.newConnections.errors + (r.unloaded?.errors ?? 0)),
    ]),
  };
}

function drainTable(settings: DataplaneSettings, drain: readonly DrainRow[]): Table {
  const drained = drain[0]?.result.drainedBackend ?? '?';
  return {
    title: `dataplane drain: a kept keep-alive connection answered by backend ${drained}, then ${drained} drained; then ${settings.drainConnections} new connections`,
    header: ['load balancer', 'drained by', 'kept conn: next 2 requests', 'new conns to drained', 'new conns answered by'],
    rows: drain.map(({ loadBalancer, drainedBy, result }) => [
      loadBalancer,
      drainedBy,
      keptConnection(result),
      `${result.newToDrained}/${settings.drainConnections}`,
      Object.entries(result.newConnections)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([id, n]) => `${id} ${n}`)
        .join(', '),
    ]),
  };
}

/** `ok: a, a (stays)`, `ok: b, c (moved)` or the failures, for the drain table. */
function keptConnection(result: DrainResult): string {
  const answers = [result.after, result.later];
  const who = answers.map((a) => (a.ok ? a.body : `failed (${a.reason})`)).join(', ');
  if (!answers.every((a) => a.ok)) return who;
  return `ok: ${who}${result.openConnectionStayed ? ' (stays)' : ' (moved)'}`;
}

function fixed(digits: number): (n: number) => string {
  return (n) => n.toFixed(digits);
}

function ratio(x: number | undefined, y: number | undefined): string {
  return x === undefined || y === undefined || y === 0 ? '-' : `${(x / y).toFixed(2)}×`;
}
