/**
 * scale: what the controller costs as a cluster grows, against the real API server.
 *
 * For each size (10 pods per Service of type LoadBalancer), the Services and pods are created
 * first and given IPs and ready containers by the pod stamper (no processes), and their
 * EndpointSlices published. Then the controller starts (in its own process, on a recording
 * provider that answers at once and reports new backends healthy) and the bench measures:
 * - converge: from the fork of the controller process to every backend registered,
 * - gates: to every pod's readiness gate True,
 * - provider write calls (ensure / update / delete) per Service at convergence,
 * - the write calls of an idle resync (the bench fails unless it is 0); the controller's
 *   periodic drift check (an ensure of each unchanged Service every 5 minutes, which a
 *   provider answers without writing) is counted apart, as re-ensures,
 * - RSS and V8 heap of the controller process after a full GC, and its CPU time.
 * Sizes run one after another on one control plane; each size's namespace is removed
 * before the next starts.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { consoleLogger, silentLogger, waitFor } from '@sluice/testbed/harness';
import { printTable, type Table } from '../table.ts';
import { type BenchCluster, CONTROLLER_MANAGER_ARGS, createNamespace, populate, removeNamespace, startBenchCluster, waitForEndpoints } from './cluster.ts';
import { forkController, waitUntilQuiet } from './controller-host.ts';
import type { ChildConfig, ProviderCounts } from './controller-protocol.ts';
import { nowMs } from './controller-protocol.ts';
import { type ClusterMachine, describeClusterMachine, machineLine } from './machine.ts';

export interface ScaleBenchOptions {
  /**
   * Pod counts, one row each; the first is the baseline of the ratio columns.
   * @default [100, 1000, 5000, 10000]
   */
  readonly sizes?: readonly number[];
  /**
   * Pods per Service.
   * @default 10
   */
  readonly podsPerService?: number;
  /**
   * The controller's full resync period; short, so the idle resync is measured soon after convergence.
   * @default 10000
   */
  readonly resyncMs?: number;
  /**
   * Controller workers (the app's default).
   * @default 4
   */
  readonly workers?: number;
  /**
   * Print the tables to stdout.
   * @default true
   */
  readonly print?: boolean;
}

export interface ScaleRow {
  readonly pods: number;
  readonly services: number;
  /** Creating Services and pods, stamping them and publishing their EndpointSlices (before the controller starts). */
  readonly setupSeconds: number;
  /** Fork of the controller process to caches synced. */
  readonly syncSeconds: number;
  /** Fork to every backend registered. */
  readonly convergeSeconds: number;
  /** Fork to every readiness gate True. */
  readonly gatesSeconds: number;
  readonly writes: number;
  readonly writesPerService: number;
  readonly counts: ProviderCounts;
  readonly idleResyncWrites: number;
  readonly idleResyncReconciles: number;
  /** Drift-check ensures of unchanged Services, from start to the end of the idle resync. */
  readonly reensures: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** Controller CPU time from start to the end of the idle resync. */
  readonly cpuSeconds: number;
  readonly controllerWarnings: number;
  /** The controller's API writes (gate patches, events, finalizers, Service status) until quiet. */
  readonly apiWrites: number;
  readonly meanApiWriteMs: number;
  readonly reconciles: number;
  readonly meanReconcileMs: number;
}

export interface ScaleResult {
  readonly name: 'scale';
  readonly machine: ClusterMachine;
  readonly settings: Required<Omit<ScaleBenchOptions, 'print'>> & { readonly controllerManagerArgs: readonly string[] };
  readonly rows: readonly ScaleRow[];
  readonly tables: readonly Table[];
  readonly elapsedSeconds: number;
}

const writesOf = (c: ProviderCounts) => c.ensureLoadBalancer + c.updateLoadBalancer + c.ensureLoadBalancerDeleted;
const MiB = 2 ** 20;

export async function runScaleBench(options: ScaleBenchOptions = {}): Promise<ScaleResult> {
  const started = performance.now();
  const settings = {
    sizes: options.sizes ?? [100, 1000, 5000, 10000],
    podsPerService: options.podsPerService ?? 10,
    resyncMs: options.resyncMs ?? 10_000,
    workers: options.workers ?? 4,
  };
  const print = options.print ?? true;
  const progress = print ? consoleLogger('scale') : silentLogger;
  const cluster = await startBenchCluster({ log: silentLogger });
  const rows: ScaleRow[] = [];
  let machine: ClusterMachine;
  try {
    machine = await describeClusterMachine(cluster.rest);
    for (const [i, pods] of settings.sizes.entries()) {
      // After the last size the whole control plane goes: no need to clean up.
      rows.push(await runSize(cluster, pods, settings, progress, i < settings.sizes.length - 1));
    }
  } finally {
    await cluster.stop();
  }

  const base = rows[0]!;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(1)}×`;
  const table: Table = {
    title:
      `scale: recording provider (0 ms, new backends healthy), ${settings.podsPerService} pods per Service, controller in its own process ` +
      `(${settings.workers} workers, resync ${settings.resyncMs / 1000} s); writes = ensure + update + delete calls until quiet; ` +
      `re-ensures = the 5-minute drift check of unchanged Services (no cloud write when nothing drifted), counted apart; ratios vs the ${base.pods}-pod row`,
    header: ['pods', 'services', 'converge s', 'gates s', 'writes', 'writes/svc', 'idle-resync writes', 're-ensures', 'RSS MB', 'heap MB', 'CPU s', 'converge ×', 'RSS ×', 'heap ×'],
    rows: rows.map((r) => [
      String(r.pods),
      String(r.services),
      r.convergeSeconds.toFixed(1),
      r.gatesSeconds.toFixed(1),
      String(r.writes),
      r.writesPerService.toFixed(2),
      String(r.idleResyncWrites),
      String(r.reensures),
      r.rssMiB.toFixed(0),
      r.heapMiB.toFixed(1),
      r.cpuSeconds.toFixed(1),
      ratio(r.convergeSeconds, base.convergeSeconds),
      ratio(r.rssMiB, base.rssMiB),
      ratio(r.heapMiB, base.heapMiB),
    ]),
  };
  const costs: Table = {
    title: 'scale: what the controller spent its time on until quiet (4 reconciles at a time; each awaits its API writes, pod gate patches up to 8 side by side)',
    header: ['pods', 'services', 'cache sync s', 'reconciles', 'reconcile ms', 'API writes', 'API writes/pod', 'ms/API write'],
    rows: rows.map((r) => [
      String(r.pods),
      String(r.services),
      r.syncSeconds.toFixed(1),
      String(r.reconciles),
      r.meanReconcileMs.toFixed(0),
      String(r.apiWrites),
      (r.apiWrites / r.pods).toFixed(2),
      r.meanApiWriteMs.toFixed(1),
    ]),
  };
  const tables = [table, costs];
  if (print) {
    process.stdout.write(`\nscale machine: ${machineLine(machine)}\n`);
    for (const t of tables) printTable(t.title, t.header, t.rows);
    process.stdout.write(
      `setup per size (create + stamp + EndpointSlices, before the controller starts): ${rows.map((r) => `${r.pods} pods ${r.setupSeconds.toFixed(1)} s`).join(', ')}\n`,
    );
  }
  const result: ScaleResult = {
    name: 'scale',
    machine,
    settings: { ...settings, controllerManagerArgs: CONTROLLER_MANAGER_ARGS },
    rows,
    tables,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  const noisy = rows.filter((r) => r.idleResyncWrites !== 0);
  if (noisy.length > 0) {
    throw new Error(`an idle resync made provider writes: ${noisy.map((r) => `${r.idleResyncWrites} at ${r.pods} pods`).join(', ')}; it must make none.`);
  }
  return result;
}

async function runSize(
  cluster: BenchCluster,
  pods: number,
  settings: { podsPerService: number; resyncMs: number; workers: number },
  progress: ReturnType<typeof consoleLogger>,
  cleanUp: boolean,
): Promise<ScaleRow> {
  const services = Math.ceil(pods / settings.podsPerService);
  const namespace = `scale-${pods}`;
  const t0 = performance.now();
  await createNamespace(cluster.rest, namespace);
  const created: Map<string, V1Pod> = await populate(cluster.rest, namespace, services, settings.podsPerService, cluster.stamper.nodeName, {
    preStopSeconds: 0,
  });
  const uids = new Set(created.keys());
  await cluster.stamper.idle();
  await waitForEndpoints(cluster.rest, namespace, uids, 600_000);
  const setupSeconds = (performance.now() - t0) / 1000;
  progress.info(`${pods} pods / ${services} Services created, stamped and in EndpointSlices in ${setupSeconds.toFixed(1)} s; starting the controller`);

  let registered = 0;
  let lastRegistered = 0;
  let gates = 0;
  let lastGate = 0;
  const config: ChildConfig = {
    kubeconfigPath: cluster.controlPlane.kubeconfigPath,
    provider: 'recording',
    workers: settings.workers,
    resyncMs: settings.resyncMs,
    healthPollMs: 1000,
    localHealthIntervalMs: 1000,
  };
  const controller = forkController(config, {
    registered: (uid, at) => {
      if (!uids.has(uid)) return;
      registered++;
      lastRegistered = Math.max(lastRegistered, at);
    },
    gatePassed: (uid, at) => {
      if (!uids.has(uid)) return;
      gates++;
      lastGate = Math.max(lastGate, at);
    },
  });
  try {
    const readyAt = await controller.ready();
    await waitFor(`${pods} backends registered`, () => registered >= pods, { timeoutMs: 600_000, intervalMs: 50 });
    await waitFor(`${pods} gates passed`, () => gates >= pods, { timeoutMs: 600_000, intervalMs: 50 });
    progress.info(`${pods} pods: registered in ${((lastRegistered - controller.forkedAt) / 1000).toFixed(1)} s, gates in ${((lastGate - controller.forkedAt) / 1000).toFixed(1)} s`);

    // Quiet: the stamper has written Ready for every pod, the slices followed, the controller
    // has reconciled what that caused and nothing is queued.
    const before = await waitUntilQuiet(controller, () => cluster.stamper.idle());

    // Idle resync: every Service is reconciled once more with nothing changed.
    const idleStart = nowMs();
    let after = before;
    await waitFor(
      'an idle resync of every Service',
      async () => {
        after = await controller.measure();
        return after.reconciles >= before.reconciles + services && after.queueDepth === 0;
      },
      { timeoutMs: settings.resyncMs * 2 + 120_000, intervalMs: 500 },
    );
    progress.info(
      `${pods} pods: idle resync of ${after.reconciles - before.reconciles} reconciles in ${((nowMs() - idleStart) / 1000).toFixed(1)} s, ` +
        `${writesOf(after.counts) - writesOf(before.counts)} writes`,
    );
    const writes = writesOf(before.counts);
    return {
      pods,
      services,
      setupSeconds,
      syncSeconds: (readyAt - controller.forkedAt) / 1000,
      convergeSeconds: (lastRegistered - controller.forkedAt) / 1000,
      gatesSeconds: (lastGate - controller.forkedAt) / 1000,
      writes,
      writesPerService: writes / services,
      counts: before.counts,
      idleResyncWrites: writesOf(after.counts) - writesOf(before.counts),
      idleResyncReconciles: after.reconciles - before.reconciles,
      reensures: after.counts.reensureLoadBalancer,
      rssMiB: after.rssBytes / MiB,
      heapMiB: after.heapUsedBytes / MiB,
      cpuSeconds: after.cpuMs / 1000,
      controllerWarnings: after.warnings,
      apiWrites: before.clusterWrites,
      meanApiWriteMs: before.clusterWrites === 0 ? 0 : before.clusterWriteMs / before.clusterWrites,
      reconciles: before.reconciles,
      meanReconcileMs: before.reconciles === 0 ? 0 : before.reconcileMs / before.reconciles,
    };
  } finally {
    await controller.stop();
    if (cleanUp) {
      const t = performance.now();
      await removeNamespace(cluster.rest, namespace);
      progress.info(`${namespace} removed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  }
}
