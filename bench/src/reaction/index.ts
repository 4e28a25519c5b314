/**
 * reaction: how fast the controller reacts to the two events a lossless rollout depends on,
 * and whether that changes with the number of Services it manages.
 *
 * - gate: a pod's containers become ready -> its backend is registered on the provider ->
 *   its readiness gate condition is True (both segments and the total);
 * - drain: a pod's DELETE is accepted (deletionTimestamp set) -> its drain (weight 0) is
 *   written to the provider.
 *
 * For each provider (a recording one that answers in 0 ms and reports new backends
 * healthy; the local one, whose TCP health checks reach a listener at every pod IP) and each
 * Service count (3 pods per Service, on the pod stamper: no processes), the pods are
 * created, the controller (its own process, the app's defaults) converges, and then a
 * steady churn runs, like 10 Deployments rolling at once: every 1/rate s one of the first
 * min(n, 10) Services (round-robin) gets a new pod, and its oldest pod that passed the gate
 * is deleted (graceful; a 5 s preStop sleep keeps it serving). The new pods give the gate
 * samples, the deleted ones the drain samples. From 10 Services up the churn is the same
 * (1 replacement/s on each of 10 Services), so only the number of idle Services (and pods)
 * behind it changes; with 1 Service, that one Service takes the whole rate.
 *
 * Times: the stamper notes when the API server accepted ContainersReady=True, the bench
 * when its DELETE returned, the controller process when its provider write / gate patch
 * returned; all on the machine's clock.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { consoleLogger, type HarnessLogger, silentLogger, sleep, waitFor } from '@sluice/testbed/harness';
import {
  type BenchCluster,
  CONTROLLER_MANAGER_ARGS,
  createNamespace,
  podObject,
  populate,
  removeNamespace,
  startBenchCluster,
  TARGET_PORT,
  waitForEndpoints,
} from '../scale/cluster.ts';
import { forkController, waitUntilQuiet } from '../scale/controller-host.ts';
import { type ChildConfig, type ChildMeasurement, nowMs } from '../scale/controller-protocol.ts';
import { type ClusterMachine, describeClusterMachine, machineLine } from '../scale/machine.ts';
import { printTable, type Table } from '../table.ts';
import { startLocalBackends } from './local-backends.ts';
import { type ChurnActivity, type ReactionRow, type ReactionSettings, reactionTables } from './tables.ts';
import { Timeline } from './timeline.ts';


export interface ReactionBenchOptions {
  /**
   * Providers, one block of rows each.
   * @default ['recording', 'local']
   */
  readonly providers?: readonly ProviderKind[];
  /**
   * Service counts; the first is the baseline of the ratio columns.
   * @default [1, 100, 1000]
   */
  readonly serviceCounts?: readonly number[];
  /**
   * Pods per Service before the churn.
   * @default 3
   */
  readonly podsPerService?: number;
  /**
   * Pod replacements in the churn (each: one pod created, one deleted).
   * @default 200
   */
  readonly replacements?: number;
  /**
   * Replacements per second, over all churned Services.
   * @default 10
   */
  readonly ratePerSecond?: number;
  /**
   * How many Services the churn is spread over (fewer when there are fewer).
   * @default 10
   */
  readonly churnedServices?: number;
  /**
   * preStop sleep of every pod: how long a deleted pod keeps serving (and can be drained).
   * @default 5
   */
  readonly preStopSeconds?: number;
  /**
   * Controller workers (the app's default).
   * @default 4
   */
  readonly workers?: number;
  /**
   * Controller gate health polling (the app's default).
   * @default 1000
   */
  readonly healthPollMs?: number;
  /**
   * Local provider health-check interval (the app's default; 2 good checks make a backend healthy).
   * @default 1000
   */
  readonly localHealthIntervalMs?: number;
  /**
   * Print the tables to stdout.
   * @default true
   */
  readonly print?: boolean;
}

export interface ReactionResult {
  readonly name: 'reaction';
  readonly machine: ClusterMachine;
  readonly settings: Required<Omit<ReactionBenchOptions, 'print'>> & { readonly controllerManagerArgs: readonly string[] };
  readonly rows: readonly ReactionRow[];
  readonly tables: readonly Table[];
  readonly elapsedSeconds: number;
}

type Settings = ReactionSettings;
type ProviderKind = ChildConfig['provider'];

export type { ChurnActivity, ReactionRow };

export async function runReactionBench(options: ReactionBenchOptions = {}): Promise<ReactionResult> {
  const started = performance.now();
  const settings: Settings = {
    providers: options.providers ?? ['recording', 'local'],
    serviceCounts: options.serviceCounts ?? [1, 100, 1000],
    podsPerService: options.podsPerService ?? 3,
    replacements: options.replacements ?? 200,
    ratePerSecond: options.ratePerSecond ?? 10,
    churnedServices: options.churnedServices ?? 10,
    preStopSeconds: options.preStopSeconds ?? 5,
    workers: options.workers ?? 4,
    healthPollMs: options.healthPollMs ?? 1000,
    localHealthIntervalMs: options.localHealthIntervalMs ?? 1000,
  };
  const print = options.print ?? true;
  const progress = print ? consoleLogger('reaction') : silentLogger;

  const backends = await startLocalBackends(TARGET_PORT);
  let timeline: Timeline | undefined;
  const rows: ReactionRow[] = [];
  let machine: ClusterMachine;
  try {
    const cluster = await startBenchCluster({
      log: silentLogger,
      podCidr: backends.podCidr,
      internalIp: backends.hostIp,
      observer: {
        containersReady: (pod) => timeline?.containersReady(pod.metadata?.uid ?? '', nowMs()),
        finalized: (pod) => timeline?.removed(pod.metadata?.uid ?? '', nowMs()),
      },
    });
    try {
      machine = await describeClusterMachine(cluster.rest);
      const plan = settings.providers.flatMap((provider) => settings.serviceCounts.map((services) => ({ provider, services })));
      for (const [i, { provider, services }] of plan.entries()) {
        timeline = new Timeline();
        // After the last row the whole control plane goes: no need to clean up.
        rows.push(await runRow(cluster, timeline, provider, services, settings, progress, i < plan.length - 1));
      }
    } finally {
      await cluster.stop();
    }
  } finally {
    await backends.stop();
  }

  const tables = reactionTables(rows, settings);
  if (print) {
    process.stdout.write(`\nreaction machine: ${machineLine(machine)}\n`);
    for (const t of tables) printTable(t.title, t.header, t.rows);
  }
  return {
    name: 'reaction',
    machine,
    settings: { ...settings, controllerManagerArgs: CONTROLLER_MANAGER_ARGS },
    rows,
    tables,
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

async function runRow(
  cluster: BenchCluster,
  timeline: Timeline,
  provider: ProviderKind,
  services: number,
  settings: Settings,
  progress: HarnessLogger,
  cleanUp: boolean,
): Promise<ReactionRow> {
  const { rest, stamper } = cluster;
  const namespace = `reaction-${provider}-${services}`;
  const shape = { preStopSeconds: settings.preStopSeconds };
  await createNamespace(rest, namespace);
  const initial = await populate(rest, namespace, services, settings.podsPerService, stamper.nodeName, shape);
  await stamper.idle();
  await waitForEndpoints(rest, namespace, new Set(initial.keys()), 300_000);

  // Per Service, its live pods oldest first.
  const live = new Map<string, { uid: string; name: string }[]>();
  for (const pod of [...initial.values()].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))) {
    const app = pod.metadata!.labels!['app']!;
    if (!live.has(app)) live.set(app, []);
    live.get(app)!.push({ uid: pod.metadata!.uid!, name: pod.metadata!.name! });
  }

  let initialGates = 0;
  let lastInitialGate = 0;
  const controller = forkController(
    {
      kubeconfigPath: cluster.controlPlane.kubeconfigPath,
      provider,
      workers: settings.workers,
      resyncMs: 300_000,
      healthPollMs: settings.healthPollMs,
      localHealthIntervalMs: settings.localHealthIntervalMs,
    },
    {
      registered: (uid, at) => timeline.registered(uid, at),
      gatePassed: (uid, at, waited) => {
        timeline.gatePassed(uid, at, waited);
        if (initial.has(uid)) {
          initialGates++;
          lastInitialGate = Math.max(lastInitialGate, at);
        }
      },
      drainApplied: (uid, at, latency) => timeline.drained(uid, at, latency),
    },
  );
  try {
    await controller.ready();
    await waitFor(`${initial.size} initial gates (${provider}, ${services} Services)`, () => initialGates >= initial.size, {
      timeoutMs: 600_000,
      intervalMs: 50,
    });
    const initialGatesSeconds = (lastInitialGate - controller.forkedAt) / 1000;
    progress.info(`${provider}, ${services} Services: ${initial.size} pods, every gate True ${initialGatesSeconds.toFixed(1)} s after the controller started; churn`);

    // Start from a settled state: the initial pods' Ready writes and what they cause are done.
    const before = await waitUntilQuiet(controller, () => stamper.idle());
    // The churn: creates and deletes run in the background so a slow answer never delays the schedule.
    const inFlight: Promise<void>[] = [];
    let deletes = 0;
    const churnStart = performance.now();
    for (let i = 0; i < settings.replacements; i++) {
      const due = churnStart + (i * 1000) / settings.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const app = `svc-${i % Math.min(services, settings.churnedServices)}`;
      const pods = live.get(app)!;
      inFlight.push(
        (async () => {
          const created = await rest.request<V1Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, podObject(`${app}-c${i}`, app, stamper.nodeName, shape));
          timeline.created(created.metadata!.uid!);
          pods.push({ uid: created.metadata!.uid!, name: created.metadata!.name! });
        })(),
      );
      if (pods.length >= settings.podsPerService) {
        const index = pods.findIndex((p) => timeline.hasPassed(p.uid));
        if (index >= 0) {
          const [victim] = pods.splice(index, 1);
          deletes++;
          inFlight.push(
            (async () => {
              await rest.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${victim!.name}`);
              timeline.deleted(victim!.uid, nowMs());
            })(),
          );
        }
      }
    }
    await Promise.all(inFlight);
    const churnSeconds = (performance.now() - churnStart) / 1000;
    try {
      await waitFor(
        'every churn gate, and every deleted pod drained or removed',
        () => {
          const left = timeline.outstanding();
          return left.gates === 0 && left.drains === 0;
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );
    } catch {
      const left = timeline.outstanding();
      progress.warn(`${provider}, ${services} Services: ${left.gates} gates and ${left.drains} drains still outstanding after 120 s`);
    }
    const samples = timeline.samples();
    if (samples.missedDrains > 0) {
      progress.warn(`${provider}, ${services} Services: ${samples.missedDrains} deleted pods were gone (preStop over) before the controller drained them`);
    }
    const after = await controller.measure();
    const providerWrites = (m: ChildMeasurement) => m.counts.ensureLoadBalancer + m.counts.updateLoadBalancer + m.counts.ensureLoadBalancerDeleted;
    const reconciles = after.reconciles - before.reconciles;
    const dequeues = after.dequeues - before.dequeues;
    const apiWrites = after.clusterWrites - before.clusterWrites;
    const activity: ChurnActivity = {
      reconciles,
      meanReconcileMs: reconciles === 0 ? 0 : (after.reconcileMs - before.reconcileMs) / reconciles,
      meanQueueWaitMs: dequeues === 0 ? 0 : (after.queueWaitMs - before.queueWaitMs) / dequeues,
      apiWrites,
      meanApiWriteMs: apiWrites === 0 ? 0 : (after.clusterWriteMs - before.clusterWriteMs) / apiWrites,
      providerWrites: providerWrites(after) - providerWrites(before),
      cpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
    };
    progress.info(
      `${provider}, ${services} Services: gate p50 ${samples.gate.p50.toFixed(0)} ms, drain p50 ${samples.drain.p50.toFixed(0)} ms ` +
        `(${samples.gate.n} gates, ${samples.drain.n} drains)`,
    );
    return { provider, services, pods: initial.size, initialGatesSeconds, churnSeconds, deletes, samples, controller: activity };
  } finally {
    await controller.stop();
    if (cleanUp) await removeNamespace(rest, namespace);
  }
}
