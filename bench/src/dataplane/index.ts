/**
 * dataplane: what the @sluice/dataplane engine costs on the wire next to HAProxy, with the
 * engine in each of its two placements, measured in one run on one machine.
 *
 * Three small Node HTTP backends (each its own process, keep-alive on) sit behind:
 * - HAProxy tcp (the baseline): Debian's haproxy, `nbthread 1`, round-robin;
 * - the engine in process: `createEngine()` inside a bench child process, the way the
 *   embedded load balancer runs inside the controller;
 * - the engine out of process: `sluice-dataplane` (`startDataPlaneProcess`), programmed
 *   from the bench's process through `connectDataPlane` over its UNIX-socket control API.
 * Both engines get the embedded provider's configuration (engine-config.ts). All three run
 * side by side; each gets a warm-up, then `rounds` rounds interleave them (rotated order)
 * with three kinds of wrk run: loaded over keep-alive connections (64: latency here is
 * mostly queueing, so req/s and the LB's CPU per request are the headline), loaded with a
 * new connection per request (accept, connect to the backend, close: the per-connection
 * cost), and one connection with one request at a time (no queue: the hop's own latency).
 * Tables show medians over the rounds and each engine's ratio to HAProxy and out of process
 * to in process (tables.ts).
 *
 * Then the drain behaviour of each (drain-test.ts): does a kept keep-alive connection to a
 * drained backend keep working and stay on it, and do new connections avoid it?
 *
 * Prints the tables and writes bench/results/dataplane.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from '../table.ts';
import { startBackends } from './backends.ts';
import { type DrainTarget, runDrainTest } from './drain-test.ts';
import { type EnginePlacement, startEngine } from './engines.ts';
import { startHaproxy } from './haproxy.ts';
import { describeMachine } from './machine.ts';
import { cpuSeconds, peakRssBytes } from './process-usage.ts';
import { cpuUse, type DataplaneResult, type DataplaneSettings, type DrainRow, summarize, type TargetKey, type ThroughputRow } from './result.ts';
import { buildTables } from './tables.ts';
import { runWrk, type WrkResult, type WrkRun } from './wrk.ts';

export type { DrainResult } from './drain-test.ts';
export type { MachineDescription } from './machine.ts';
export type { CpuUse, DataplaneResult, DrainRow, RunSummary, TargetKey, ThroughputRow } from './result.ts';
export type { WrkResult } from './wrk.ts';

export interface DataplaneBenchOptions {
  /**
   * Length of one loaded wrk run (keep-alive, and new connections), in seconds. Each target
   * gets `rounds` of each.
   * @default 4
   */
  readonly durationSeconds?: number;
  /**
   * Runs of each kind per target. Rounds interleave the targets (each round in a rotated
   * order) and the tables show medians, so a burst of other work on the machine lands on
   * every target alike instead of on whichever ran at the time.
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
   * Unrecorded warm-up of each target before the first round (JIT, connection pools), in
   * seconds, once over keep-alive and once with new connections; 0 skips it.
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

const backendIds = ['a', 'b', 'c'] as const;
const drained = 'a';
const engineTargets: readonly { key: EnginePlacement; name: string }[] = [
  { key: 'in-process', name: 'engine in process' },
  { key: 'out-of-process', name: 'engine out of process' },
];

/** A load balancer under measurement and what its runs gathered so far. */
interface Target {
  readonly key: TargetKey;
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly keepAlive: WrkResult[];
  readonly newConnections: WrkResult[];
  readonly unloaded: WrkResult[];
  readonly cpuSeconds: { keepAlive: number; newConnections: number };
}

/** Runs the whole benchmark (about 2 min with the defaults); see the file comment. */
export async function runDataplaneBench(options: DataplaneBenchOptions = {}): Promise<DataplaneResult> {
  const started = performance.now();
  const settings: DataplaneSettings = {
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

  const loaded = (newConnections: boolean, durationSeconds = settings.durationSeconds): WrkRun => ({
    connections: settings.connections,
    threads: settings.threads,
    durationSeconds,
    newConnections,
  });
  const loadedKinds = [
    { kind: 'keepAlive', run: loaded(false) },
    { kind: 'newConnections', run: loaded(true) },
  ] as const;
  const unloadedRun: WrkRun = { connections: 1, threads: 1, durationSeconds: settings.unloadedSeconds };
  const url = (target: Target): string => `http://127.0.0.1:${target.port}/`;

  const backends = await startBackends(backendIds);
  const stops: (() => Promise<void>)[] = [];
  const throughput: ThroughputRow[] = [];
  const drain: DrainRow[] = [];
  let haproxyConfig = '';
  try {
    // Every target is up for the whole measurement; idle ones only run their health checks.
    const target = (key: TargetKey, name: string, lb: { port: number; pid: number }): Target => ({
      key,
      name,
      port: lb.port,
      pid: lb.pid,
      keepAlive: [],
      newConnections: [],
      unloaded: [],
      cpuSeconds: { keepAlive: 0, newConnections: 0 },
    });
    const haproxy = await startHaproxy(backends.refs);
    stops.push(() => haproxy.stop());
    haproxyConfig = haproxy.config;
    const targets = [target('haproxy', 'HAProxy tcp', haproxy)];
    for (const { key, name } of engineTargets) {
      const engine = await startEngine(key, backends.refs);
      stops.push(() => engine.stop());
      targets.push(target(key, name, engine));
    }

    if (settings.warmupSeconds > 0) {
      for (const t of targets) {
        for (const newConnections of [false, true]) await runWrk(url(t), loaded(newConnections, settings.warmupSeconds));
      }
    }
    for (let round = 0; round < settings.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const { kind, run } of loadedKinds) {
        for (const t of order) {
          const before = await cpuSeconds(t.pid);
          t[kind].push(await runWrk(url(t), run));
          t.cpuSeconds[kind] += (await cpuSeconds(t.pid)) - before;
        }
      }
      if (settings.unloadedSeconds > 0) {
        for (const t of order) t.unloaded.push(await runWrk(url(t), unloadedRun));
      }
    }
    for (const t of targets) {
      throughput.push({
        key: t.key,
        target: t.name,
        keepAlive: summarize(t.keepAlive),
        newConnections: summarize(t.newConnections),
        ...(t.unloaded.length === 0 ? {} : { unloaded: summarize(t.unloaded) }),
        lbCpu: {
          keepAlive: cpuUse(t.cpuSeconds.keepAlive, t.keepAlive),
          newConnections: cpuUse(t.cpuSeconds.newConnections, t.newConnections),
        },
        lbPeakRssBytes: await peakRssBytes(t.pid),
      });
    }
    for (const stop of stops.splice(0).reverse()) await stop();

    // Drain tests: a fresh load balancer for each, so no state carries over.
    for (const { key, name } of engineTargets) {
      const engine = await startEngine(key, backends.refs);
      try {
        const drainTarget: DrainTarget = { port: engine.port, drain: (id) => engine.setWeights({ [id]: 0 }) };
        drain.push({ loadBalancer: name, drainedBy: 'weight 0', result: await runDrainTest(drainTarget, drained, settings.drainConnections) });
      } finally {
        await engine.stop();
      }
    }
    const haproxyDrains: readonly { by: string; command: (id: string) => string }[] = [
      { by: 'state drain', command: (id) => `set server be/${id} state drain` },
      { by: 'weight 0', command: (id) => `set weight be/${id} 0` },
    ];
    for (const { by, command } of haproxyDrains) {
      const lb = await startHaproxy(backends.refs);
      try {
        const drainTarget: DrainTarget = {
          port: lb.port,
          async drain(id) {
            const answer = (await lb.command(command(id))).trim();
            if (answer !== '') throw new Error(`haproxy refused "${command(id)}": ${answer}`);
          },
        };
        drain.push({ loadBalancer: 'HAProxy tcp', drainedBy: by, result: await runDrainTest(drainTarget, drained, settings.drainConnections) });
      } finally {
        await lb.stop();
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await backends.stop();
  }

  const tables = buildTables(settings, throughput, drain);
  if (options.print ?? true) {
    process.stdout.write(
      `\ndataplane machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, ${machine.haproxy}, ${machine.wrk}, load average at start ${machine.loadAverage.join(' ')}\n`,
    );
    for (const table of tables) printTable(table.title, table.header, table.rows);
  }
  const commands = throughput
    .flatMap((row) => [...row.keepAlive.runs, ...row.newConnections.runs, ...(row.unloaded?.runs ?? [])])
    .map((run) => run.command.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>'));
  const result: DataplaneResult = {
    name: 'dataplane',
    machine,
    settings,
    throughput,
    drain,
    haproxyConfig,
    commands: [
      ...new Set(commands),
      'haproxy -f <generated haproxy.cfg> -db',
      'node --conditions=@sluice/source packages/dataplane/src/bin.ts --socket <tmp>/control.sock --time-scale 1 --firewall-default allow --log-level warn',
    ],
    tables,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  if (resultsFile !== false) {
    await mkdir(dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}
