/**
 * What a user sees with kubectl, read for assertions: the Events on an object, a Service's
 * finalizers and load-balancer ingress, a pod's readiness-gate condition, and the pods a
 * Deployment owns (through its ReplicaSets).
 */
import * as k8s from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.ts';
import { GATE_TYPE } from './app-objects.ts';

export interface SeenEvent {
  readonly name: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
}

export class ClusterReads {
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  }

  /** Every Event whose involved object is `kind` `namespace/name` (oldest first). */
  async events(kind: 'Service' | 'Pod', namespace: string, name: string): Promise<SeenEvent[]> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
    return list.items.map((e) => ({ name: e.metadata?.name ?? '', type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 1 }));
  }

  /** Waits for an Event of `type` and `reason` on the object; resolves with the first such. */
  waitForEvent(kind: 'Service' | 'Pod', namespace: string, name: string, type: string, reason: string, timeoutMs = 20_000): Promise<SeenEvent> {
    return waitFor(
      `a ${type} event ${reason} on ${kind.toLowerCase()} ${namespace}/${name}`,
      async () => (await this.events(kind, namespace, name)).find((e) => e.type === type && e.reason === reason),
      { timeoutMs, intervalMs: 200 },
    );
  }

  async service(namespace: string, name: string): Promise<k8s.V1Service> {
    return this.core.readNamespacedService({ namespace, name });
  }

  /** The Service's finalizers and its `status.loadBalancer.ingress`. */
  async serviceState(namespace: string, name: string): Promise<{ finalizers: string[]; ingress: k8s.V1LoadBalancerIngress[] }> {
    const svc = await this.service(namespace, name);
    return { finalizers: svc.metadata?.finalizers ?? [], ingress: svc.status?.loadBalancer?.ingress ?? [] };
  }

  /** Waits until the Service has an ingress IP; resolves with it. */
  waitForIngressIp(namespace: string, name: string, timeoutMs = 30_000): Promise<string> {
    return waitFor(`an ingress IP on service ${namespace}/${name}`, async () => (await this.serviceState(namespace, name)).ingress.find((i) => i.ip)?.ip, {
      timeoutMs,
      intervalMs: 200,
    });
  }

  async pod(namespace: string, name: string): Promise<k8s.V1Pod> {
    return this.core.readNamespacedPod({ namespace, name });
  }

  /** Pods of the Deployment (owned by one of its ReplicaSets), not yet terminating. */
  async deploymentPods(namespace: string, deployment: string): Promise<k8s.V1Pod[]> {
    const sets = await this.apps.listNamespacedReplicaSet({ namespace });
    const mine = new Set(sets.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === deployment)).map((rs) => rs.metadata?.uid));
    const pods = await this.core.listNamespacedPod({ namespace });
    return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.metadata?.ownerReferences?.some((o) => o.kind === 'ReplicaSet' && mine.has(o.uid)));
  }

  /** Waits until the Deployment has exactly `replicas` pods, each Ready with the gate True; resolves with them. */
  waitForReadyDeployment(namespace: string, deployment: string, replicas: number, timeoutMs = 60_000): Promise<k8s.V1Pod[]> {
    return waitFor(
      `${replicas} ready pods of deployment ${namespace}/${deployment}`,
      async () => {
        const pods = await this.deploymentPods(namespace, deployment);
        const all = await this.core.listNamespacedPod({ namespace });
        const owned = new Set(pods.map((p) => p.metadata?.uid));
        // Terminating pods of the Deployment must be gone too, so a count is a steady count.
        const leaving = all.items.filter((p) => p.metadata?.deletionTimestamp && p.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet') && !owned.has(p.metadata.uid));
        const ready = pods.filter((p) => condition(p, 'Ready')?.status === 'True' && (!p.spec?.readinessGates?.length || condition(p, GATE_TYPE)?.status === 'True'));
        return pods.length === replicas && ready.length === replicas && leaving.length === 0 ? pods : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }
}

/** A pod's condition of `type`, if it has one. */
export function condition(pod: k8s.V1Pod, type: string): k8s.V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}
