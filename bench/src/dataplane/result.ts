/** What the dataplane bench measured, as written to bench/results/dataplane.json, and how runs are summarized. */
import type { Table } from '../table.ts';
import type { DrainResult } from './drain-test.ts';
import type { MachineDescription } from './machine.ts';
import type { WrkResult } from './wrk.ts';

/** Which load balancer a row measures: the baseline, then the engine in its two placements. */
export type TargetKey = 'haproxy' | 'in-process' | 'out-of-process';

export interface DataplaneSettings {
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly threads: number;
  readonly warmupSeconds: number;
  readonly unloadedSeconds: number;
  readonly drainConnections: number;
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

/** The load balancer process's CPU during one kind of loaded run. */
export interface CpuUse {
  /** Cores busy on average (1 = one core). */
  readonly cores: number;
  /** CPU time per proxied request, in µs. */
  readonly usPerRequest: number;
}

export interface ThroughputRow {
  readonly key: TargetKey;
  readonly target: string;
  /** Loaded, `connections` keep-alive connections. */
  readonly keepAlive: RunSummary;
  /** Loaded, `connections` at a time, a new connection for every request. */
  readonly newConnections: RunSummary;
  /** One connection, one request at a time (the hop's own latency); absent when `unloadedSeconds` is 0. */
  readonly unloaded?: RunSummary;
  readonly lbCpu: { readonly keepAlive: CpuUse; readonly newConnections: CpuUse };
  /** The load balancer process's peak resident memory (VmHWM) at the end of the runs. */
  readonly lbPeakRssBytes: number;
}

export interface DrainRow {
  readonly loadBalancer: string;
  readonly drainedBy: string;
  readonly result: DrainResult;
}

export interface DataplaneResult {
  readonly name: 'dataplane';
  readonly machine: MachineDescription;
  readonly settings: DataplaneSettings;
  /** HAProxy, the engine in process, the engine out of process, in that order. */
  readonly throughput: readonly ThroughputRow[];
  readonly drain: readonly DrainRow[];
  readonly haproxyConfig: string;
  readonly commands: readonly string[];
  readonly tables: readonly Table[];
  readonly elapsedSeconds: number;
}

export function summarize(runs: readonly WrkResult[]): RunSummary {
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

/** CPU use from the CPU seconds a process spent over `runs`. */
export function cpuUse(cpuSeconds: number, runs: readonly WrkResult[]): CpuUse {
  const seconds = runs.reduce((sum, r) => sum + r.durationUs / 1e6, 0);
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  return { cores: cpuSeconds / seconds, usPerRequest: (cpuSeconds * 1e6) / requests };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
