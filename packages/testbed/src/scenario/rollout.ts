/**
 * The rollout scenario: a Deployment behind the LB under steady load (new connections and
 * keep-alive connections), through consecutive rolling updates and a scale down and up.
 * Returns the load totals (every request that failed is counted) and how long each rolling
 * update took.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { type LoadOptions, type LoadResult, type RunningLoad, startLoad } from '../load/load.ts';
import { Workload, type WorkloadOptions } from './workload.ts';

export interface RolloutScenarioOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly servicePort: number;
  readonly sigterm: 'keep-serving' | 'close';
  /** @default 5 */
  readonly replicas?: number;
  /** Consecutive rolling updates. @default 3 */
  readonly rollouts?: number;
  /** Scale to 1 and back after the rollouts. @default true */
  readonly scaleDownAndUp?: boolean;
  /** Progress lines. */
  readonly say?: (line: string) => void;
  /**
   * Start each rolling update as soon as the Deployment reports the previous one complete
   * (as `kubectl rollout status` returns), while its old pods may still be terminating; only
   * the last one waits for its old pods to be gone. Otherwise every rolling update waits for them.
   * @default false
   */
  readonly backToBack?: boolean;
  /** Load generator settings (rate, workers...); host and port are the LB's. @default startLoad's defaults, at most 300 s */
  readonly load?: Omit<LoadOptions, 'host' | 'port'>;
  /**
   * Starts the load generator (e.g. on its own thread, so that the simulator's work in this
   * process does not delay it). @default startLoad, in this thread
   */
  readonly startLoad?: (options: LoadOptions) => RunningLoad;
  /** The Deployment's rolling update and termination settings, and the address families of its Service and pods. @default Workload's defaults */
  readonly workload?: Pick<
    WorkloadOptions,
    'maxSurge' | 'maxUnavailable' | 'preStopSeconds' | 'terminationGracePeriodSeconds' | 'ipFamilies' | 'ipFamilyPolicy' | 'podIpFamilies' | 'serviceAnnotations'
  >;
  /** The address a load balancer published by hostname stands for (see Workload.waitForAddress). @default none: only `ingress[].ip` counts */
  readonly resolveHostname?: (hostname: string) => string | undefined;
  /**
   * Called once the LB serves every replica, before the load starts (to look at the slices
   * and the LB's backends); a rejection ends the scenario, the namespace deleted.
   * @default none
   */
  readonly onServing?: (workload: Workload) => Promise<void>;
  /**
   * Called after the last step, once the load has stopped and before the namespace is
   * deleted; a rejection fails the scenario, the namespace deleted all the same.
   * @default none
   */
  readonly onDone?: (workload: Workload) => Promise<void>;
  /** Called right before the first rolling update starts and right after the last one completed (to count what they cost). @default none */
  readonly onRollouts?: (edge: 'start' | 'done') => void;
}

export interface RolloutScenarioResult extends LoadResult {
  readonly address: string;
  /**
   * Per rolling update, in ms: from the restart patch to the Deployment reporting it complete
   * (with `backToBack`), or to every replica updated and available and no old or terminating
   * pod left (without).
   */
  readonly rolloutsMs: readonly number[];
  /** With `backToBack`: from the last rollout's completion until its old pods were gone, in ms. */
  readonly settleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runRolloutScenario(o: RolloutScenarioOptions): Promise<RolloutScenarioResult> {
  const replicas = o.replicas ?? 5;
  const say = o.say ?? (() => {});
  const w = new Workload(o.kubeConfig, { ...o.workload, namespace: o.namespace, name: 'web', replicas, servicePort: o.servicePort, sigterm: o.sigterm });
  await w.create();
  await w.waitForRollout(replicas);
  const { host, port } = await w.waitForAddress(undefined, o.resolveHostname);
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  say(`load balancer ${address} serving ${replicas} pods (${o.namespace}, SIGTERM: ${o.sigterm})`);
  if (o.onServing) {
    try {
      await o.onServing(w);
    } catch (error) {
      await w.delete().catch((e) => say(`cleanup of ${o.namespace} failed: ${String(e)}`));
      throw error;
    }
  }
  const load = (o.startLoad ?? startLoad)({ maxDurationMs: 300_000, ...o.load, host, port });
  const rolloutsMs: number[] = [];
  let settleMs: number | undefined;
  let failure: unknown;
  try {
    await sleep(1000);
    o.onRollouts?.('start');
    for (let i = 1; i <= (o.rollouts ?? 3); i++) {
      const t = performance.now();
      await w.restart(`rollout-${i}`);
      await (o.backToBack ? w.waitForComplete(replicas) : w.waitForRollout(replicas));
      rolloutsMs.push(Math.round(performance.now() - t));
      say(`rollout ${i} done in ${rolloutsMs.at(-1)} ms: ${load.requests} requests, ${load.failed} failed so far`);
    }
    o.onRollouts?.('done');
    if (o.backToBack && rolloutsMs.length > 0) {
      // The old pods' exits are where requests get lost without a drain: keep the load on until they are gone.
      const t = performance.now();
      await w.waitForRollout(replicas);
      settleMs = Math.round(performance.now() - t);
    }
    if (o.scaleDownAndUp ?? true) {
      await w.scale(1);
      await w.waitForRollout(1);
      await w.scale(replicas);
      await w.waitForRollout(replicas);
      say(`scale ${replicas} -> 1 -> ${replicas} done: ${load.requests} requests, ${load.failed} failed so far`);
    }
    await sleep(1000);
  } catch (error) {
    failure = error;
  }
  const result = await load.stop();
  if (!failure && o.onDone) await o.onDone(w).catch((error: unknown) => (failure = error));
  await w.delete().catch((e) => say(`cleanup of ${o.namespace} failed: ${String(e)}`));
  if (failure) throw failure;
  return { ...result, address, rolloutsMs, ...(settleMs === undefined ? {} : { settleMs }) };
}
