/**
 * The writes the controller makes to the cluster, behind an interface so the reconciler is
 * tested with a recording fake and run against the real API server through
 * {@link KubeClusterWriter}.
 */
import * as k8s from '@kubernetes/client-node';
import { RetryableError, TerminalError } from '../errors.ts';
import { shareApiConnections } from '../kube/shared-connections.ts';
import type { LoadBalancerIngress } from '../provider.ts';

export interface ObjectRef {
  readonly kind: 'Service' | 'Pod';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export type EventType = 'Normal' | 'Warning';

export interface ClusterWriter {
  /** Strategic-merge patch of `pods/status` with the given body. */
  patchPodStatus(namespace: string, name: string, body: object, signal: AbortSignal): Promise<void>;
  /** Replaces `status.loadBalancer.ingress` of a Service. */
  patchServiceIngress(namespace: string, name: string, ingress: readonly LoadBalancerIngress[], signal: AbortSignal): Promise<void>;
  /** Sets a Service's finalizers, guarded by its resourceVersion (409 on a stale write). */
  setServiceFinalizers(namespace: string, name: string, finalizers: readonly string[], resourceVersion: string, signal: AbortSignal): Promise<void>;
  /** Sets one annotation on a Service (merge patch of its metadata; nothing else changes). */
  setServiceAnnotation(namespace: string, name: string, key: string, value: string, signal: AbortSignal): Promise<void>;
  createEvent(event: k8s.CoreV1Event, signal: AbortSignal): Promise<void>;
  patchEvent(namespace: string, name: string, count: number, lastTimestamp: Date, signal: AbortSignal): Promise<void>;
}

/** Maps an API error to a Sluice error: 409/429/5xx/network are retryable, 4xx terminal, 404 tolerated by callers. */
export function classifyApiError(action: string, error: unknown): Error {
  const code = (error as { code?: number; statusCode?: number })?.code ?? (error as { statusCode?: number })?.statusCode;
  const body = (error as { body?: unknown })?.body;
  const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : error instanceof Error ? error.message : String(error);
  if (typeof code === 'number' && code >= 400 && code < 500 && code !== 409 && code !== 429 && code !== 408) {
    return new TerminalError(`${action} was refused by the API server (${code}): ${detail}`, { cause: error, reason: `Api${code}` });
  }
  return new RetryableError(`${action} failed${code ? ` (${code})` : ''}: ${detail}`, { cause: error });
}

export function apiStatusCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

export class KubeClusterWriter implements ClusterWriter {
  readonly #core: k8s.CoreV1Api;
  readonly #fieldManager: string;

  constructor(kubeConfig: k8s.KubeConfig, fieldManager = 'sluice') {
    this.#core = shareApiConnections(kubeConfig).makeApiClient(k8s.CoreV1Api);
    this.#fieldManager = fieldManager;
  }

  async patchPodStatus(namespace: string, name: string, body: object): Promise<void> {
    try {
      await this.#core.patchNamespacedPodStatus(
        { name, namespace, body, fieldManager: this.#fieldManager },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
    } catch (error) {
      if (apiStatusCode(error) === 404) return; // the pod is gone: nothing left to gate
      throw classifyApiError(`patching the readiness gate of pod ${namespace}/${name}`, error);
    }
  }

  async patchServiceIngress(namespace: string, name: string, ingress: readonly LoadBalancerIngress[]): Promise<void> {
    try {
      await this.#core.patchNamespacedServiceStatus(
        { name, namespace, body: { status: { loadBalancer: { ingress: ingress.map((i) => ({ ...i, ports: i.ports?.map((p) => ({ ...p })) })) } } }, fieldManager: this.#fieldManager },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (error) {
      if (apiStatusCode(error) === 404) return;
      throw classifyApiError(`writing the load balancer status of Service ${namespace}/${name}`, error);
    }
  }

  async setServiceFinalizers(namespace: string, name: string, finalizers: readonly string[], resourceVersion: string): Promise<void> {
    try {
      await this.#core.patchNamespacedService(
        { name, namespace, body: { metadata: { finalizers: [...finalizers], resourceVersion } }, fieldManager: this.#fieldManager },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (error) {
      if (apiStatusCode(error) === 404) return;
      throw classifyApiError(`updating the finalizers of Service ${namespace}/${name}`, error);
    }
  }

  async setServiceAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    try {
      await this.#core.patchNamespacedService(
        { name, namespace, body: { metadata: { annotations: { [key]: value } } }, fieldManager: this.#fieldManager },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (error) {
      if (apiStatusCode(error) === 404) return;
      throw classifyApiError(`annotating Service ${namespace}/${name}`, error);
    }
  }

  async createEvent(event: k8s.CoreV1Event): Promise<void> {
    try {
      await this.#core.createNamespacedEvent({ namespace: event.metadata.namespace ?? 'default', body: event });
    } catch (error) {
      throw classifyApiError('recording an event', error);
    }
  }

  async patchEvent(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<void> {
    try {
      await this.#core.patchNamespacedEvent(
        { name, namespace, body: { count, lastTimestamp: lastTimestamp.toISOString() } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (error) {
      throw classifyApiError('updating an event', error);
    }
  }
}
