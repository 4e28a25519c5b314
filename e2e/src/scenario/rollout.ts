/**
 * The rollout scenario: a Deployment behind the LB under steady load (new connections and
 * keep-alive connections), through consecutive rolling updates and a scale down and up.
 * Returns the load totals: every request that failed is counted.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { type LoadResult, startLoad } from '../load/load.ts';
import { Workload } from './workload.ts';

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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runRolloutScenario(o: RolloutScenarioOptions): Promise<LoadResult & { address: string }> {
  const replicas = o.replicas ?? 5;
  const say = o.say ?? (() => {});
  const w = new Workload(o.kubeConfig, { namespace: o.namespace, name: 'web', replicas, servicePort: o.servicePort, sigterm: o.sigterm });
  await w.create();
  await w.waitForRollout(replicas);
  const { host, port } = await w.waitForAddress();
  const address = `${host}:${port}`;
  say(`load balancer ${address} serving ${replicas} pods (${o.namespace}, SIGTERM: ${o.sigterm})`);
  const load = startLoad({ host, port, maxDurationMs: 300_000 });
  let failure: unknown;
  try {
    await sleep(1000);
    for (let i = 1; i <= (o.rollouts ?? 3); i++) {
      await w.restart(`rollout-${i}`);
      await w.waitForRollout(replicas);
      say(`rollout ${i} done: ${load.requests} requests, ${load.failed} failed so far`);
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
  await w.delete().catch((e) => say(`cleanup of ${o.namespace} failed: ${String(e)}`));
  if (failure) throw failure;
  return { ...result, address };
}
