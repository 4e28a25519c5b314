/**
 * The sample workload: a Deployment of the pod app behind a `type: LoadBalancer` Service,
 * with Sluice's readiness gate, a preStop sleep and a termination grace period, plus the
 * operations a rollout test needs (restart, scale, wait).
 */
import * as k8s from '@kubernetes/client-node';
import type { IpFamily } from '../harness/ip-family.ts';
import { POD_IP_FAMILIES_ANNOTATION } from '../harness/pod-annotations.ts';

export interface WorkloadOptions {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  /** The Service port; the embedded LB listens on it when it is free. */
  readonly servicePort: number;
  /** What the app does on SIGTERM. */
  readonly sigterm: 'keep-serving' | 'close';
  /** @default 'sluice.dev/load-balancer-ready' */
  readonly gateType?: string;
  /** preStop sleep, seconds. @default 2 */
  readonly preStopSeconds?: number;
  /** @default 5 */
  readonly terminationGracePeriodSeconds?: number;
  /** The Deployment's `rollingUpdate.maxSurge` (a count or a percentage such as `'25%'`). @default 1 */
  readonly maxSurge?: number | string;
  /** The Deployment's `rollingUpdate.maxUnavailable`. @default 0 */
  readonly maxUnavailable?: number | string;
  /** The Service's `spec.ipFamilies`, primary first. @default unset: the cluster's primary family (IPv4) */
  readonly ipFamilies?: readonly IpFamily[];
  /** The Service's `spec.ipFamilyPolicy`. @default unset: SingleStack */
  readonly ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** The pods' address families, primary first (the simulator's `sim.sluice.dev/ip-families`). @default the node's */
  readonly podIpFamilies?: readonly IpFamily[];
  /** Annotations on the Service (a provider's settings, e.g. a cloud LB's health-check timing). @default none */
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Workload {
  readonly o: WorkloadOptions;
  readonly #apps: k8s.AppsV1Api;
  readonly #core: k8s.CoreV1Api;

  constructor(kubeConfig: k8s.KubeConfig, options: WorkloadOptions) {
    this.o = options;
    this.#apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
    this.#core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  async create(): Promise<void> {
    const { namespace, name } = this.o;
    const labels = { app: name };
    await this.#core.createNamespace({ body: { metadata: { name: namespace } } });
    await this.#apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: this.o.replicas,
          selector: { matchLabels: labels },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: this.o.maxSurge ?? 1, maxUnavailable: this.o.maxUnavailable ?? 0 } },
          template: {
            metadata: {
              labels,
              annotations: {
                'sim.sluice.dev/sigterm': this.o.sigterm,
                ...(this.o.podIpFamilies ? { [POD_IP_FAMILIES_ANNOTATION]: this.o.podIpFamilies.join(',') } : {}),
              },
            },
            spec: {
              terminationGracePeriodSeconds: this.o.terminationGracePeriodSeconds ?? 5,
              readinessGates: [{ conditionType: this.o.gateType ?? 'sluice.dev/load-balancer-ready' }],
              containers: [
                {
                  name: 'app',
                  image: 'sluice.dev/pod-app:sim',
                  ports: [{ name: 'http', containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1 },
                  lifecycle: { preStop: { sleep: { seconds: this.o.preStopSeconds ?? 2 } } },
                },
              ],
            },
          },
        },
      },
    });
    await this.#core.createNamespacedService({
      namespace,
      body: {
        metadata: { name, ...(this.o.serviceAnnotations ? { annotations: { ...this.o.serviceAnnotations } } : {}) },
        spec: {
          type: 'LoadBalancer',
          selector: labels,
          ...(this.o.ipFamilies ? { ipFamilies: [...this.o.ipFamilies] } : {}),
          ...(this.o.ipFamilyPolicy ? { ipFamilyPolicy: this.o.ipFamilyPolicy } : {}),
          ports: [{ name: 'http', port: this.o.servicePort, targetPort: 'http', protocol: 'TCP' }],
        },
      },
    });
  }

  /** Waits until the Service has an ingress IP and the LB accepts connections; returns host and port. */
  /**
   * Waits for the Service's load balancer address: `ingress[0].ip`, or `ingress[0].hostname`
   * as `resolveHostname` resolves it (a cloud LB published by DNS name; its twin knows the address).
   */
  async waitForAddress(timeoutMs = 60_000, resolveHostname?: (hostname: string) => string | undefined): Promise<{ host: string; port: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const svc = await this.#core.readNamespacedService({ name: this.o.name, namespace: this.o.namespace });
      const ingress = svc.status?.loadBalancer?.ingress?.[0];
      const ip = ingress?.ip ?? (ingress?.hostname && resolveHostname ? resolveHostname(ingress.hostname) : undefined);
      if (ip) return { host: ip, port: this.o.servicePort };
      if (performance.now() > deadline) throw new Error(`Service ${this.o.namespace}/${this.o.name} got no load balancer address`);
      await sleep(200);
    }
  }

  /** Waits until the rollout is complete and no old or terminating pod is left. */
  async waitForRollout(replicas: number, timeoutMs = 180_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const d = await this.#apps.readNamespacedDeployment({ name: this.o.name, namespace: this.o.namespace });
      const s = d.status ?? {};
      const pods = await this.#core.listNamespacedPod({ namespace: this.o.namespace, labelSelector: `app=${this.o.name}` });
      const converged =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        s.updatedReplicas === replicas &&
        s.replicas === replicas &&
        s.availableReplicas === replicas &&
        pods.items.length === replicas;
      if (converged) return;
      if (performance.now() > deadline) {
        throw new Error(`rollout of ${this.o.namespace}/${this.o.name} did not converge: ${JSON.stringify(s)}, ${pods.items.length} pods`);
      }
      await sleep(250);
    }
  }

  /**
   * Waits until the Deployment reports its rollout complete, as `kubectl rollout status`
   * does: every replica updated and available and no old replica counted. Old pods may still
   * be terminating (the Deployment no longer counts them); {@link waitForRollout} waits for those too.
   */
  async waitForComplete(replicas: number, timeoutMs = 180_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const d = await this.#apps.readNamespacedDeployment({ name: this.o.name, namespace: this.o.namespace });
      const s = d.status ?? {};
      const complete =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        s.updatedReplicas === replicas &&
        s.replicas === replicas &&
        s.availableReplicas === replicas;
      if (complete) return;
      if (performance.now() > deadline) throw new Error(`rollout of ${this.o.namespace}/${this.o.name} did not complete: ${JSON.stringify(s)}`);
      await sleep(250);
    }
  }

  /** Starts a rolling update (as `kubectl rollout restart` does). */
  async restart(stamp: string): Promise<void> {
    await this.#apps.patchNamespacedDeployment(
      { name: this.o.name, namespace: this.o.namespace, body: { spec: { template: { metadata: { annotations: { 'sluice.dev/restartedAt': stamp } } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  }

  async scale(replicas: number): Promise<void> {
    await this.#apps.patchNamespacedDeployment(
      { name: this.o.name, namespace: this.o.namespace, body: { spec: { replicas } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  /** Deletes the namespace and waits until it is gone (the controller releases the Service's finalizer). */
  async delete(timeoutMs = 60_000): Promise<void> {
    await this.#core.deleteNamespace({ name: this.o.namespace });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        await this.#core.readNamespace({ name: this.o.namespace });
      } catch {
        return;
      }
      if (performance.now() > deadline) throw new Error(`namespace ${this.o.namespace} was not deleted`);
      await sleep(250);
    }
  }
}
