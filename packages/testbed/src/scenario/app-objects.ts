/**
 * Objects for tests that need more freedom than {@link Workload}: a Deployment or a bare Pod
 * of the pod app with chosen labels, annotations and gate, and a `type: LoadBalancer`
 * Service with chosen annotations, selector and targetPort. Manifests are plain data; the
 * create helpers only send them.
 */
import * as k8s from '@kubernetes/client-node';

export const GATE_TYPE = 'sluice.dev/load-balancer-ready';
export const APP_PORT_NAME = 'http';

export interface AppPodOptions {
  readonly labels: Readonly<Record<string, string>>;
  /** Pod annotations (e.g. `sluice.dev/weight`). @default {} */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Carry Sluice's readiness gate. @default true */
  readonly gate?: boolean;
  /** What the app does on SIGTERM. @default 'close' */
  readonly sigterm?: 'keep-serving' | 'close';
}

/** The pod template: one container of the pod app on the named port `http` (8080), probed every second. */
export function appPodSpec(o: AppPodOptions): { metadata: k8s.V1ObjectMeta; spec: k8s.V1PodSpec } {
  return {
    metadata: { labels: { ...o.labels }, annotations: { 'sim.sluice.dev/sigterm': o.sigterm ?? 'close', ...o.annotations } },
    spec: {
      terminationGracePeriodSeconds: 5,
      ...((o.gate ?? true) ? { readinessGates: [{ conditionType: GATE_TYPE }] } : {}),
      containers: [
        {
          name: 'app',
          image: 'sluice.dev/pod-app:sim',
          ports: [{ name: APP_PORT_NAME, containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/healthz', port: APP_PORT_NAME }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 },
          lifecycle: { preStop: { sleep: { seconds: 1 } } },
        },
      ],
    },
  };
}

export function appDeployment(name: string, replicas: number, pod: AppPodOptions): k8s.V1Deployment {
  return {
    metadata: { name, labels: { ...pod.labels } },
    spec: {
      replicas,
      selector: { matchLabels: { ...pod.labels } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: appPodSpec(pod),
    },
  };
}

export function appPod(name: string, pod: AppPodOptions): k8s.V1Pod {
  const { metadata, spec } = appPodSpec(pod);
  return { metadata: { ...metadata, name }, spec };
}

export interface LoadBalancerServiceOptions {
  readonly port: number;
  /** Omit for a Service without selector (no EndpointSlices are ever made for it). */
  readonly selector?: Readonly<Record<string, string>>;
  /** @default {} */
  readonly annotations?: Readonly<Record<string, string>>;
  /** @default 'http' */
  readonly targetPort?: string | number;
}

export function loadBalancerService(name: string, o: LoadBalancerServiceOptions): k8s.V1Service {
  return {
    metadata: { name, ...(o.annotations ? { annotations: { ...o.annotations } } : {}) },
    spec: {
      type: 'LoadBalancer',
      ...(o.selector ? { selector: { ...o.selector } } : {}),
      ports: [{ name: 'http', port: o.port, targetPort: o.targetPort ?? APP_PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/** Thin senders for the manifests above, on one kubeconfig. */
export class AppObjects {
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  }

  async namespace(name: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
  }

  async deployment(namespace: string, body: k8s.V1Deployment): Promise<void> {
    await this.apps.createNamespacedDeployment({ namespace, body });
  }

  async pod(namespace: string, body: k8s.V1Pod): Promise<k8s.V1Pod> {
    return this.core.createNamespacedPod({ namespace, body });
  }

  async service(namespace: string, body: k8s.V1Service): Promise<void> {
    await this.core.createNamespacedService({ namespace, body });
  }

  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeployment(
      { namespace, name, body: { spec: { replicas } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  /** Starts the namespace's deletion; does not wait (the controller may hold a finalizer). */
  async deleteNamespace(name: string): Promise<void> {
    await this.core.deleteNamespace({ name }).catch(() => {});
  }
}
