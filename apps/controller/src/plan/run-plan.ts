/**
 * `sluice plan`: reads the cluster once and the load balancers through the provider's
 * read-only calls, and prints per Service what the controller would do now, doing none of
 * it. Kubernetes is only listed (Services, EndpointSlices, Pods: one list each, no watch),
 * so a kubeconfig bound to the built-in `view` ClusterRole is enough; the provider is
 * wrapped so that any write throws.
 *
 * Exit codes: 0 a plan was printed (Services with errors are part of the plan), 1 a
 * runtime failure (kubeconfig unreadable, cluster unreachable, a list refused), 2 bad input
 * (provider package missing, provider configuration invalid).
 */
import type * as k8s from '@kubernetes/client-node';
import { isTerminalError, type LoadBalancer, type Logger } from '@sluice/core';
import type { RunConfig } from '../flags.ts';
import { loadProvider, ProviderLoadError } from '../providers.ts';
import { loadKubeConfig } from '../run.ts';
import { type ClusterSnapshot, ListError, readCluster } from './cluster-snapshot.ts';
import { describeError } from './describe-error.ts';
import { type PlanOptions, planService } from './plan-service.ts';
import type { PlanReport } from './plan-types.ts';
import { readOnlyProvider } from './read-only-provider.ts';
import { renderJson, renderText } from './render.ts';

export interface PlanIo {
  /** Diagnostics (errors, progress); keep it off the stream the plan is written to. */
  readonly log: Logger;
  /** One line of the plan, without its newline. */
  write(line: string): void;
  readonly signal: AbortSignal;
}

/** Plans every Service of the snapshot that a reconcile would touch, sorted by namespace/name. */
export async function planCluster(snapshot: ClusterSnapshot, provider: LoadBalancer, options: PlanOptions, signal: AbortSignal): Promise<PlanReport[]> {
  const guarded = readOnlyProvider(provider);
  const services = [...snapshot.services].sort((a, b) => {
    const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
    const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const plans: PlanReport[] = [];
  for (const service of services) {
    signal.throwIfAborted();
    const p = await planService(service, snapshot.caches, guarded, options, signal);
    if (p) plans.push(p);
  }
  return plans;
}

export function planOptionsOf(config: RunConfig): PlanOptions {
  return {
    clusterName: config.clusterName,
    loadBalancerClass: config.loadBalancerClass,
    handleUnclassed: config.handleUnclassed,
    gateConditionType: config.readinessGateType,
    gate: config.gate,
    drain: config.drain,
  };
}

export async function runPlan(config: RunConfig, output: 'text' | 'json', io: PlanIo): Promise<number> {
  const { log, signal } = io;
  let kc: k8s.KubeConfig;
  try {
    kc = loadKubeConfig(config);
  } catch (error) {
    log.error(describeError(error));
    return 1;
  }
  const server = kc.getCurrentCluster()?.server ?? '(unknown)';
  let provider: LoadBalancer;
  try {
    provider = await loadProvider(config, log);
  } catch (error) {
    log.error(describeError(error));
    return error instanceof ProviderLoadError || isTerminalError(error) ? 2 : 1;
  }
  try {
    let snapshot: ClusterSnapshot;
    try {
      snapshot = await readCluster(kc, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const what = error instanceof ListError ? `cannot list ${error.resource} from the Kubernetes API server at ${server}` : `cannot read the cluster at ${server}`;
      log.error(`${what}: ${describeError(error instanceof ListError ? error.cause : error)}.`);
      return 1;
    }
    const plans = await planCluster(snapshot, provider, planOptionsOf(config), signal);
    for (const line of output === 'json' ? renderJson(plans) : renderText(plans)) io.write(line);
    return 0;
  } catch (error) {
    log.error(signal.aborted ? 'sluice plan was interrupted.' : `sluice plan failed: ${describeError(error)}.`);
    return 1;
  } finally {
    await provider.close?.();
  }
}
