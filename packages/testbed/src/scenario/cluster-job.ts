/**
 * The setup most local e2e jobs share: one real control plane (startEnvironment), the app-object
 * and cluster-read helpers on it, and one local-provider controller with fast health timings,
 * started before the job's tests and stopped (with its data plane) after them.
 */
import { after, before } from 'node:test';
import type { HarnessLogger } from '../harness/logger.ts';
import { AppObjects } from './app-objects.ts';
import { ClusterReads } from './cluster-reads.ts';
import { type ControllerProcess, startControllerProcess } from './controller-process.ts';
import { type Environment, startEnvironment } from './environment.ts';

/** Health polled every 100 ms, the embedded LB's checks every 200 ms: gates open in about a second. */
export const FAST_LOCAL_ARGS: readonly string[] = ['--health-poll-ms', '100', '--local-health-interval-ms', '200'];

/** What {@link clusterJob} started; read it from inside tests (it is filled in by the job's `before`). */
export interface ClusterJob {
  readonly env: Environment;
  readonly objects: AppObjects;
  readonly reads: ClusterReads;
  readonly controller: ControllerProcess;
}

/** Registers the job's `before` and `after`; see the file comment. `args` replace {@link FAST_LOCAL_ARGS}. */
export function clusterJob(log: HarnessLogger, args: readonly string[] = FAST_LOCAL_ARGS): ClusterJob {
  let started: ClusterJob | undefined;
  let env: Environment | undefined;
  let controller: ControllerProcess | undefined;
  before(async () => {
    env = await startEnvironment(log);
    controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args });
    await controller.ready();
    started = { env, objects: new AppObjects(env.kubeConfig), reads: new ClusterReads(env.kubeConfig), controller };
  });
  after(async () => {
    await controller?.stop();
    await controller?.dataplane?.stop();
    await env?.stop();
  });
  const get = <K extends keyof ClusterJob>(key: K): ClusterJob[K] => {
    if (!started) throw new Error(`the job's ${key} is read before its before() hook ran (read it inside a test)`);
    return started[key];
  };
  return {
    get env() {
      return get('env');
    },
    get objects() {
      return get('objects');
    },
    get reads() {
      return get('reads');
    },
    get controller() {
      return get('controller');
    },
  };
}
