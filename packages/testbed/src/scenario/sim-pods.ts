/**
 * Bare pods of the pod app for tests that place each pod themselves: a chosen node, port and
 * (optionally) IP, Sluice's readiness gate, and reads that wait for a pod's state. Manifests
 * are plain data; the helpers only send and read them.
 */
import type * as k8s from '@kubernetes/client-node';
import { apiStatus } from '../harness/api-errors.ts';
import { POD_IP_ANNOTATION } from '../harness/pod-annotations.ts';
import { SIGTERM_ANNOTATION } from '../harness/pod-runner.ts';
import { waitFor } from '../harness/wait.ts';
import { condition } from './cluster-reads.ts';

export const GATE_CONDITION = 'sluice.dev/load-balancer-ready';

export interface SimPodOptions {
  readonly name: string;
  /** Bound at creation (no scheduling). */
  readonly nodeName: string;
  /** The container port named `http`. */
  readonly port: number;
  /** The pod's IP, for the simulated node to honour. @default the next free address */
  readonly ip?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** What the app does on SIGTERM. @default 'keep-serving' (serves until the grace period ends) */
  readonly sigterm?: 'keep-serving' | 'close';
  /** terminationGracePeriodSeconds. @default 5 */
  readonly graceSeconds?: number;
}

/** One container of the pod app on port `http`, probed every second, with Sluice's gate. */
export function simPod(o: SimPodOptions): k8s.V1Pod {
  return {
    metadata: {
      name: o.name,
      labels: { ...o.labels },
      annotations: { [SIGTERM_ANNOTATION]: o.sigterm ?? 'keep-serving', ...(o.ip === undefined ? {} : { [POD_IP_ANNOTATION]: o.ip }) },
    },
    spec: {
      nodeName: o.nodeName,
      terminationGracePeriodSeconds: o.graceSeconds ?? 5,
      readinessGates: [{ conditionType: GATE_CONDITION }],
      containers: [
        {
          name: 'app',
          image: 'sluice.dev/pod-app:sim',
          ports: [{ name: 'http', containerPort: o.port }],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 },
        },
      ],
    },
  };
}

/** Creates the namespace and waits for its default ServiceAccount (pods are refused before it exists). */
export async function createNamespace(core: k8s.CoreV1Api, namespace: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await waitFor(`the default ServiceAccount of ${namespace}`, () => core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true), {
    timeoutMs: 30_000,
  });
}

/** Reads the pod until `accept` holds; the timeout error names `what`. */
export function waitForPod(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  what: string,
  accept: (pod: k8s.V1Pod) => boolean,
  timeoutMs = 30_000,
): Promise<k8s.V1Pod> {
  return waitFor(
    `${namespace}/${name}: ${what}`,
    async () => {
      const pod = await core.readNamespacedPod({ name, namespace });
      return accept(pod) ? pod : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Waits until the pod has an IP and its containers are ready (the kubelet's part of readiness). */
export function waitForContainersReady(core: k8s.CoreV1Api, namespace: string, name: string, timeoutMs = 30_000): Promise<k8s.V1Pod> {
  return waitForPod(core, namespace, name, 'IP and ContainersReady=True', (p) => Boolean(p.status?.podIP) && condition(p, 'ContainersReady')?.status === 'True', timeoutMs);
}

/** Waits until no pod of that name exists any more. */
export async function waitForPodGone(core: k8s.CoreV1Api, namespace: string, name: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${namespace}/${name} to be removed`,
    async () => {
      try {
        await core.readNamespacedPod({ name, namespace });
        return false;
      } catch (error) {
        if (apiStatus(error) === 404) return true;
        throw error;
      }
    },
    { timeoutMs, intervalMs: 100 },
  );
}
