/**
 * dataplane: what Sluice's embedded load balancer costs on the wire, next to HAProxy and
 * next to no load balancer at all, measured in one run on one machine.
 *
 * Three small Node HTTP backends (each its own process, keep-alive on) sit behind:
 * - direct: wrk straight to backend `a` (the baseline; no proxy hop),
 * - Sluice: @sluice/provider-local in its own Node process (one event loop, one core),
 * - HAProxy tcp / http: Debian's haproxy, `nbthread 1`, round-robin, same backends.
 * All targets run side by side; each gets a warm-up, then `rounds` rounds interleave them
 * (rotated order) with a loaded wrk run (64 connections: latency here is mostly queueing,
 * so req/s and the LB's CPU per request are the headline) and a single-connection run
 * (no queue: the hop's own latency). Tables show medians over the rounds; "added" is the
 * target's percentile minus direct's. Note that direct has one backend process while the
 * load balancers spread over three, so on a small machine direct can be the slower one.
 *
 * Then the drain behaviour of each load balancer (see drain-test.ts): does a kept
 * keep-alive connection to a drained backend keep working and stay on it, and do new
 * connections avoid it?
 *
 * Prints the tables and writes bench/results/dataplane.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, type Table } from '../table.ts';
import { startBackends } from './backends.ts';
import { cpuSeconds } from './child-process.ts';
import { type DrainResult, type DrainTarget, runDrainTest } from './drain-test.ts';
import { startEmbeddedLb } from './embedded-lb.ts';
import { type HaproxyMode, startHaproxy } from './haproxy.ts';
import { describeMachine, type MachineDescription } from './machine.ts';
import { runWrk, type WrkResult, type WrkRun } from './wrk.ts';

export type { DrainResult } from './drain-test.ts';
export type { MachineDescription } from './machine.ts';
export type { WrkResult } from './wrk.ts';

export interface DataplaneBenchOptions {
  /**
   * Length of one loaded wrk run, in seconds. Each target gets `rounds` of them.
   * @default 4
   */
  readonly durationSeconds?: number;
  /**
   * Loaded (and unloaded) runs per target. Rounds interleave the targets (each round in a
   * rotated order) and the tables show medians, so a burst of other work on the machine
   * lands on every target alike instead of on whichever ran at the time.
   * @default 3
   */
  readonly rounds?: number;
  /**
   * Open connections in the loaded runs.
   * @default 64
   */
  readonly connections?: number;
  /**
   * wrk threads in the loaded runs.
   * @default 2
   */
  readonly threads?: number;
  /**
   * Unrecorded warm-up of each target before the first round (JIT, connection pools), in seconds; 0 skips it.
   * @default 2
   */
  readonly warmupSeconds?: number;
  /**
   * Length of one single-connection run (the hop's latency without queueing), in seconds;
   * each target gets `rounds` of them; 0 skips them.
   * @default 2
   */
  readonly unloadedSeconds?: number;
  /**
   * New connections the drain test opens after draining a backend.
   * @default 20
   */
  readonly drainConnections?: number;
  /**
   * Where the JSON result is written; `false` writes nothing.
   * @default bench/results/dataplane.json
   */
  readonly resultsFile?: string | false;
  /**
   * Print the tables to stdout.
   * @default true
   */
  readonly print?: boolean;
}

/** Medians over the rounds of one kind of run. */
export interface RunSummary {
  readonly requestsPerSecond: number;
  readonly minRequestsPerSecond: number;
  readonly maxRequestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Summed over the rounds. */
  readonly requests: number;
  readonly errors: number;
  readonly runs: readonly WrkResult[];
}

export interface ThroughputRow {
  readonly target: string;
  readonly loaded: RunSummary;
  readonly unloaded?: RunSummary;
  /** CPU the load balancer process used during the loaded runs, in cores (1 = one core busy). */
  readonly lbCpuCores?: number;
  /** The load balancer's CPU time per proxied request in the loaded runs, in µs. */
  readonly lbCpuUsPerRequest?: number;
}

export interface DrainRow {
  readonly loadBalancer: string;
  readonly drainedBy: string;
  readonly result: DrainResult;
}

export interface DataplaneResult {
  readonly name: 'dataplane';
  readonly machine: MachineDescription;
  readonly settings: Required<Omit<DataplaneBenchOptions, 'resultsFile' | 'print'>>;
  readonly throughput: readonly ThroughputRow[];
  readonly drain: readonly DrainRow[];
  /** The HAProxy configuration of the tcp target (the http one differs only in `mode`). */
  readonly haproxyConfig: string;
  readonly commands: readonly string[];
  readonly tables: readonly Table[];
  readonly elapsedSeconds: number;
}

const backendIds = ['a', 'b', 'c'] as const;
const drained = 'a';

interface Target {
  readonly name: string;
  readonly port: number;
  /** The load balancer's process, when there is one. */
  readonly pid?: number;
  readonly loaded: WrkResult[];
  readonly unloaded: WrkResult[];
  cpuSeconds: number;
}

/** Runs the whole benchmark (about 90 s with the defaults); see the file comment. */
export async function runDataplaneBench(options: DataplaneBenchOptions = {}): Promise<DataplaneResult> {
  const started = performance.now();
  const settings = {
    durationSeconds: options.durationSeconds ?? 4,
    rounds: options.rounds ?? 3,
    connections: options.connections ?? 64,
    threads: options.threads ?? 2,
    warmupSeconds: options.warmupSeconds ?? 2,
    unloadedSeconds: options.unloadedSeconds ?? 2,
    drainConnections: options.drainConnections ?? 20,
  };
  const resultsFile = options.resultsFile ?? fileURLToPath(new URL('../../results/dataplane.json', import.meta.url));
  const machine = await describeMachine();
  for (const [tool, version] of [
    ['haproxy', machine.haproxy],
    ['wrk', machine.wrk],
  ] as const) {
    if (version.startsWith('unavailable')) {
      throw new Error(`The dataplane bench needs ${tool}, which is not installed; run tools/bench-tools.sh.`);
    }
  }

  const loadedRun: WrkRun = { connections: settings.connections, threads: settings.threads, durationSeconds: settings.durationSeconds };
  const unloadedRun: WrkRun = { connections: 1, threads: 1, durationSeconds: settings.unloadedSeconds };
  const url = (target: Target): string => `http://127.0.0.1:${target.port}/`;

  const backends = await startBackends(backendIds);
  const stops: (() => Promise<void>)[] = [];
  const throughput: ThroughputRow[] = [];
  const drain: DrainRow[] = [];
  let haproxyConfig = '';
  try {
    // Every target is up for the whole measurement; idle ones only run their health checks.
    const direct = backends.refs.find((b) => b.id === drained)!;
    const sluice = await startEmbeddedLb(backends.refs);
    stops.push(() => sluice.stop());
    const haproxyTcp = await startHaproxy('tcp', backends.refs);
    stops.push(() => haproxyTcp.stop());
    const haproxyHttp = await startHaproxy('http', backends.refs);
    stops.push(() => haproxyHttp.stop());
    haproxyConfig = haproxyTcp.config;
    const target = (name: string, port: number, pid?: number): Target => ({
      name,
      port,
      ...(pid === undefined ? {} : { pid }),
      loaded: [],
      unloaded: [],
      cpuSeconds: 0,
    });
    const targets = [
      target(`direct (backend ${direct.id})`, direct.port),
      target('Sluice embedded (L4)', sluice.port, sluice.pid),
      target('HAProxy tcp', haproxyTcp.port, haproxyTcp.pid),
      target('HAProxy http', haproxyHttp.port, haproxyHttp.pid),
    ];

    if (settings.warmupSeconds > 0) {
      for (const t of targets) await runWrk(url(t), { ...loadedRun, durationSeconds: settings.warmupSeconds });
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) {
        const before = t.pid === undefined ? 0 : await cpuSeconds(t.pid);
        t.loaded.push(await runWrk(url(t), loadedRun));
        if (t.pid !== undefined) t.cpuSeconds += (await cpuSeconds(t.pid)) - before;
      }
      if (settings.unloadedSeconds > 0) {
        for (const t of order) t.unloaded.push(await runWrk(url(t), unloadedRun));
      }
    }
    for (const t of targets) {
      const loaded = summarize(t.loaded);
      const seconds = t.loaded.reduce((sum, r) => sum + r.durationUs / 1e6, 0);
      throughput.push({
        target: t.name,
        loaded,
        ...(t.unloaded.length === 0 ? {} : { unloaded: summarize(t.unloaded) }),
        ...(t.pid === undefined ? {} : { lbCpuCores: t.cpuSeconds / seconds, lbCpuUsPerRequest: (t.cpuSeconds * 1e6) / loaded.requests }),
      });
    }
    for (const stop of stops.splice(0).reverse()) await stop();

    // Drain tests: a fresh load balancer for each, so no state carries over.
    {
      const lb = await startEmbeddedLb(backends.refs);
      try {
        const drainTarget: DrainTarget = { port: lb.port, drain: (id) => lb.setWeights({ [id]: 0 }) };
        drain.push({
          loadBalancer: 'Sluice embedded (L4)',
          drainedBy: 'weight 0',
          result: await runDrainTest(drainTarget, drained, settings.drainConnections),
        });
      } finally {
        await lb.stop();
      }
    }
    const haproxyDrains: readonly { mode: HaproxyMode; by: string; command: (id: string) => string }[] = [
      { mode: 'tcp', by: 'state drain', command: (id) => `set server be/${id} state drain` },
      { mode: 'tcp', by: 'weight 0', command: (id) => `set weight be/${id} 0` },
      { mode: 'http', by: 'state drain', command: (id) => `set server be/${id} state drain` },
      { mode: 'http', by: 'weight 0', command: (id) => `set weight be/${id} 0` },
    ];
    for (const { mode, by, command } of haproxyDrains) {
      const haproxy = await startHaproxy(mode, backends.refs);
      try {
        const drainTarget: DrainTarget = {
          port: haproxy.port,
          async drain(id) {
            const answer = (await haproxy.command(command(id))).trim();
            if (answer !== '') throw new Error(`haproxy refused "${command(id)}": ${answer}`);
          },
        };
        drain.push({
          loadBalancer: `HAProxy ${mode}`,
          drainedBy: by,
          result: await runDrainTest(drainTarget, drained, settings.drainConnections),
        });
      } finally {
        await haproxy.stop();
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await backends.stop();
  }

  const tables = buildTables(settings, throughput, drain);
  if (options.print ?? true) {
    process.stdout.write(`\ndataplane machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, ${machine.haproxy}, ${machine.wrk}, load average at start ${machine.loadAverage.join(' ')}\n`);
    for (const table of tables) printTable(table.title, table.header, table.rows);
  }
  const commands = throughput
    .flatMap((row) => [...row.loaded.runs, ...(row.unloaded?.runs ?? [])])
    .map((run) => run.command.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>'));
  const result: DataplaneResult = {
    name: 'dataplane',
    machine,
    settings,
    throughput,
    drain,
    haproxyConfig,
    commands: [...new Set(commands), 'haproxy -f <generated haproxy.cfg> -db'],
    tables,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  if (resultsFile !== false) {
    await mkdir(dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(runs: readonly WrkResult[]): RunSummary {
  const rates = runs.map((r) => r.requestsPerSecond);
  return {
    requestsPerSecond: median(rates),
    minRequestsPerSecond: Math.min(...rates),
    maxRequestsPerSecond: Math.max(...rates),
    p50Us: median(runs.map((r) => r.latencyUs.p50)),
    p99Us: median(runs.map((r) => r.latencyUs.p99)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errorCount, 0),
    runs,
  };
}

function buildTables(
  settings: DataplaneResult['settings'],
  throughput: readonly ThroughputRow[],
  drain: readonly DrainRow[],
): Table[] {
  const base = throughput[0]!;
  const ms = (us: number): string => (us / 1000).toFixed(2);
  const plusMs = (us: number): string => `${us >= 0 ? '+' : ''}${(us / 1000).toFixed(2)}`;
  const plusUs = (us: number): string => `${us >= 0 ? '+' : ''}${us.toFixed(0)}`;
  const ratio = (x: number, y: number): string => `${(x / y).toFixed(2)}×`;
  const tables: Table[] = [
    {
      title:
        `dataplane: wrk ${settings.threads} threads, ${settings.connections} keep-alive connections, ` +
        `${settings.rounds} × ${settings.durationSeconds} s per target (medians); 3 Node backends; each LB on one thread`,
      header: ['target', 'req/s', 'req/s min-max', 'vs direct', 'p50 ms', 'p99 ms', 'added p50', 'added p99', 'LB CPU', 'LB µs/req', 'errors'],
      rows: throughput.map((row) => [
        row.target,
        row.loaded.requestsPerSecond.toFixed(0),
        `${row.loaded.minRequestsPerSecond.toFixed(0)}-${row.loaded.maxRequestsPerSecond.toFixed(0)}`,
        ratio(row.loaded.requestsPerSecond, base.loaded.requestsPerSecond),
        ms(row.loaded.p50Us),
        ms(row.loaded.p99Us),
        row === base ? '-' : plusMs(row.loaded.p50Us - base.loaded.p50Us),
        row === base ? '-' : plusMs(row.loaded.p99Us - base.loaded.p99Us),
        row.lbCpuCores === undefined ? '-' : `${(row.lbCpuCores * 100).toFixed(0)}%`,
        row.lbCpuUsPerRequest === undefined ? '-' : row.lbCpuUsPerRequest.toFixed(1),
        String(row.loaded.errors),
      ]),
    },
  ];
  const baseUnloaded = base.unloaded;
  if (baseUnloaded !== undefined) {
    tables.push({
      title: `dataplane: 1 connection, 1 request at a time, ${settings.rounds} × ${settings.unloadedSeconds} s per target (medians; the hop's own latency, no queueing)`,
      header: ['target', 'req/s', 'vs direct', 'p50 µs', 'p99 µs', 'added p50 µs', 'added p99 µs'],
      rows: throughput.flatMap((row) => {
        const u = row.unloaded;
        if (u === undefined) return [];
        return [
          [
            row.target,
            u.requestsPerSecond.toFixed(0),
            ratio(u.requestsPerSecond, baseUnloaded.requestsPerSecond),
            u.p50Us.toFixed(0),
            u.p99Us.toFixed(0),
            row === base ? '-' : plusUs(u.p50Us - baseUnloaded.p50Us),
            row === base ? '-' : plusUs(u.p99Us - baseUnloaded.p99Us),
          ],
        ];
      }),
    });
  }
  tables.push({
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
  });
  return tables;
}

/** `ok: a, a (stays)`, `ok: b, c (moved)` or the failures, for the drain table. */
function keptConnection(result: DrainResult): string {
  const answers = [result.after, result.later];
  const who = answers.map((a) => (a.ok ? a.body : `failed (${a.reason})`)).join(', ');
  if (!answers.every((a) => a.ok)) return who;
  return `ok: ${who}${result.openConnectionStayed ? ' (stays)' : ' (moved)'}`;
}
