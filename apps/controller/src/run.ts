/**
 * Composes the controller from a parsed configuration: kube client, provider, controller.
 * Returns when the signal aborts; throws a {@link StartError} with one sentence when the
 * cluster cannot be reached or the provider cannot start.
 */
import * as k8s from '@kubernetes/client-node';
import { Controller, type Logger, errorMessage } from '@sluice/core';
import type { RunConfig } from './flags.ts';
import { loadProvider } from './providers.ts';

export class StartError extends Error {
  override name = 'StartError';
}

/** An error's message with its root cause (fetch reports only "fetch failed" on its own). */
function describe(error: unknown): string {
  let message = errorMessage(error);
  let cause = (error as { cause?: unknown })?.cause;
  while (cause && typeof cause === 'object') {
    const c = cause as { code?: string; message?: string; cause?: unknown };
    const part = c.code ?? c.message;
    if (part && !message.includes(part)) message += ` (${part})`;
    cause = c.cause;
  }
  return message;
}

export function loadKubeConfig(config: RunConfig): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new StartError(`cannot read kubeconfig ${config.kubeconfig ?? '(default)'}: ${errorMessage(error)}`, { cause: error });
  }
  if (!kc.getCurrentCluster()) throw new StartError(`kubeconfig ${config.kubeconfig ?? '(default)'} has no current cluster.`);
  return kc;
}

export async function run(config: RunConfig, log: Logger, signal: AbortSignal): Promise<void> {
  const kc = loadKubeConfig(config);
  const server = kc.getCurrentCluster()?.server ?? '(unknown)';
  const provider = await loadProvider(config, log);
  const controller = new Controller({
    kubeConfig: kc,
    provider,
    log,
    clusterName: config.clusterName,
    ...(config.loadBalancerClass ? { loadBalancerClass: config.loadBalancerClass } : {}),
    gateConditionType: config.readinessGateType,
    gate: config.gate,
    drain: config.drain,
    workers: config.workers,
    resyncMs: config.resyncSeconds * 1000,
    healthPollMs: config.healthPollMs,
    onReady: () => log.info('sluice running', { provider: config.provider, server, gate: config.gate, drain: config.drain }),
  });
  try {
    await controller.start(signal);
  } catch (error) {
    if (signal.aborted) return;
    throw new StartError(`cannot reach the Kubernetes API server at ${server}: ${describe(error)}.`, { cause: error });
  } finally {
    await provider.close?.();
  }
}
