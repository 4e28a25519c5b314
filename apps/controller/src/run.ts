/**
 * Composes the controller from a parsed configuration: HTTP endpoints, kube client,
 * provider (measured and fenced), leader election and the controller. Returns when the
 * signal aborts and everything has stopped: in-flight reconciles finished (or were aborted
 * at the shutdown timeout) and the Lease released. Throws a {@link StartError} with one
 * sentence when the cluster cannot be reached, an address is taken or the provider cannot start.
 */
import * as k8s from '@kubernetes/client-node';
import {
  Controller,
  errorMessage,
  fenceWriter,
  instrumentProvider,
  KubeClusterWriter,
  KubeLeaseStore,
  LeaderElector,
  type LoadBalancer,
  type Logger,
  shareApiConnections,
} from '@sluice/core';
import type { RunConfig } from './flags.ts';
import { type HttpEndpoint, ListenError, startHttpEndpoint } from './http-server.ts';
import { createMetrics } from './metrics.ts';
import { loadProvider } from './providers.ts';
import { startWebhook } from './webhook/index.ts';

export class StartError extends Error {
  override name = 'StartError';
}

/** What only the process edge knows. */
export interface RunEnvironment {
  /** Leader-election identity when --leader-election-identity is not given. */
  readonly identity: string;
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
  // One keep-alive pool for every client made from it (client-node would connect per request).
  return shareApiConnections(kc);
}

export async function run(config: RunConfig, log: Logger, signal: AbortSignal, env: RunEnvironment = { identity: `sluice_${process.pid}` }): Promise<void> {
  const kc = loadKubeConfig(config);
  const server = kc.getCurrentCluster()?.server ?? '(unknown)';
  const election = config.leaderElection;
  let controller: Controller | undefined;
  let elector: LeaderElector | undefined;
  // Without leader election this replica always writes; with it, only while it holds the Lease.
  let leading = !election.enabled;
  let stopping = false;
  const metrics = createMetrics({ provider: config.provider, queueDepth: () => controller?.queueDepth ?? 0 });
  metrics.setLeader(leading);
  const ready = (): { ready: boolean; reason: string } => {
    if (stopping) return { ready: false, reason: 'stopping' };
    if (leading) return controller?.synced ? { ready: true, reason: 'leader, caches synced' } : { ready: false, reason: 'caches not synced yet' };
    if (elector?.observedHolder !== undefined) return { ready: true, reason: `standby, leader is ${elector.observedHolder || '(none)'}` };
    return { ready: false, reason: 'leader election not started yet' };
  };
  signal.addEventListener('abort', () => (stopping = true), { once: true });

  const endpoints: HttpEndpoint[] = [];
  const same = config.metricsAddress && config.healthAddress && config.metricsAddress.host === config.healthAddress.host && config.metricsAddress.port === config.healthAddress.port && config.metricsAddress.port !== 0;
  let provider: LoadBalancer | undefined;
  let webhook: { close(): Promise<void> } | undefined;
  try {
    try {
      if (same) {
        const e = await startHttpEndpoint('metrics-bind-address', config.metricsAddress!, { metrics: () => metrics.render(), probes: { ready } });
        endpoints.push(e);
        log.info('http listening', { metricsPort: e.port, healthPort: e.port });
      } else {
        if (config.metricsAddress) {
          const e = await startHttpEndpoint('metrics-bind-address', config.metricsAddress, { metrics: () => metrics.render() });
          endpoints.push(e);
          log.info('http listening', { metricsPort: e.port });
        }
        if (config.healthAddress) {
          const e = await startHttpEndpoint('health-probe-bind-address', config.healthAddress, { probes: { ready } });
          endpoints.push(e);
          log.info('http listening', { healthPort: e.port });
        }
      }
    } catch (error) {
      if (error instanceof ListenError) throw new StartError(error.message, { cause: error });
      throw error;
    }

    provider = await loadProvider(config, log);
    const measured = instrumentProvider(provider, {
      onCall: (op, outcome, ms, service) => metrics.onProviderCall(op, outcome, ms, service),
      onBackends: (svc, counts) => metrics.onBackends(svc, counts),
      canWrite: () => leading,
    });
    // Preflight: one cheap authenticated call, so an unreachable or refusing API server fails
    // the start with its own error rather than as a campaign that retries forever.
    try {
      await kc.makeApiClient(k8s.CoreV1Api).listNamespace({ limit: 1 });
    } catch (error) {
      if (signal.aborted) return;
      throw new StartError(`cannot reach the Kubernetes API server at ${server}: ${describe(error)}.`, { cause: error });
    }
    // The provider's own checks of its cloud: each failure is one warning sentence; the start goes on.
    if (provider.startupChecks) {
      try {
        const pods = await kc.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces({ limit: 100, fieldSelector: 'status.phase=Running' });
        const podAddresses = pods.items.flatMap((p) => (p.spec?.hostNetwork ? [] : (p.status?.podIPs ?? []).map((ip) => ip.ip)));
        for (const problem of await provider.startupChecks({ podAddresses }, signal)) log.warn('startup check failed', { check: problem.field, message: problem.message });
      } catch (error) {
        if (signal.aborted) return;
        log.warn('startup checks could not run', { error: describe(error) });
      }
    }

    // The injection webhook runs in every replica, leader or standby: pod creation must not
    // depend on which replica the API server reaches.
    if (config.webhook) {
      try {
        const w = await startWebhook({
          address: config.webhook.address,
          ...(config.webhook.certFile ? { certFile: config.webhook.certFile } : {}),
          ...(config.webhook.keyFile ? { keyFile: config.webhook.keyFile } : {}),
          ...(config.webhook.configurationName ? { configurationName: config.webhook.configurationName } : {}),
          dnsNames: config.webhook.dnsNames,
          kubeConfig: kc,
          gateConditionType: config.readinessGateType,
          loadBalancerClass: config.loadBalancerClass,
          handleUnclassed: config.handleUnclassed,
          log,
          signal,
        });
        webhook = w;
        log.info('webhook listening', { webhookPort: w.port });
      } catch (error) {
        if (signal.aborted) return;
        throw new StartError(errorMessage(error), { cause: error });
      }
    }

    const lead = async (until: AbortSignal) => {
      controller = new Controller({
        kubeConfig: kc,
        provider: measured,
        writer: fenceWriter(new KubeClusterWriter(kc), () => leading),
        log,
        clusterName: config.clusterName,
        loadBalancerClass: config.loadBalancerClass,
        handleUnclassed: config.handleUnclassed,
        gateConditionType: config.readinessGateType,
        gate: config.gate,
        drain: config.drain,
        workers: config.workers,
        resyncMs: config.resyncSeconds * 1000,
        ...(config.healthPollMs !== undefined ? { healthPollMs: config.healthPollMs } : {}),
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        observer: metrics.observer,
        onReady: () => log.info('sluice running', { provider: config.provider, server, gate: config.gate, drain: config.drain }),
      });
      try {
        await controller.start(until);
      } catch (error) {
        if (until.aborted) return;
        throw new StartError(`cannot reach the Kubernetes API server at ${server}: ${describe(error)}.`, { cause: error });
      } finally {
        controller = undefined;
      }
    };

    if (!election.enabled) {
      await lead(signal);
      return;
    }
    elector = new LeaderElector({
      store: new KubeLeaseStore(kc, election.namespace, election.name),
      identity: election.identity ?? env.identity,
      leaseDurationMs: election.leaseDurationMs,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      log,
      onChange: (now) => {
        leading = now;
        metrics.setLeader(now);
      },
    });
    await elector.run(signal, lead);
  } finally {
    await webhook?.close();
    await Promise.allSettled(endpoints.map((e) => e.close()));
    await provider?.close?.();
  }
}
