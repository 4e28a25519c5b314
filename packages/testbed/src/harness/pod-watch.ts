/**
 * A pod informer over one field selector that survives watch failures: client-node's
 * ListWatch relists on 410 but stops on any other error, so this restarts it after a pause.
 */
import { CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { describeApiError } from './api-errors.ts';
import type { HarnessLogger } from './logger.ts';

/** Options for {@link startPodWatch}. */
export interface PodWatchOptions {
  kubeConfig: KubeConfig;
  /** e.g. `spec.nodeName=node-a`, or `spec.nodeName=` for unscheduled pods. */
  fieldSelector: string;
  /** Called for every added or changed pod. */
  onUpsert(pod: V1Pod): void;
  /** Called for every pod that is gone. */
  onDelete(pod: V1Pod): void;
  log: HarnessLogger;
  /**
   * Pause before restarting after an error.
   * @default 1000
   */
  restartDelayMs?: number;
}

export interface PodWatch {
  /** The pods currently known. */
  list(): readonly V1Pod[];
  stop(): Promise<void>;
}

export async function startPodWatch(options: PodWatchOptions): Promise<PodWatch> {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { fieldSelector } = options;
  const informer = new ListWatch<V1Pod>(
    '/api/v1/pods',
    new Watch(options.kubeConfig),
    () => core.listPodForAllNamespaces({ fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  informer.on('add', options.onUpsert);
  informer.on('update', options.onUpsert);
  informer.on('delete', options.onDelete);
  informer.on('error', (error) => {
    if (stopped) return;
    options.log.warn(`pod watch (${fieldSelector}) failed: ${describeApiError(error)}; restarting`);
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      if (!stopped) void informer.start();
    }, options.restartDelayMs ?? 1000);
  });
  await informer.start();
  return {
    list: () => informer.list(),
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}
