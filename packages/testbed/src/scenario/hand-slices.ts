/**
 * EndpointSlices a test writes itself, for a Service without a selector (which
 * kube-controller-manager leaves alone). The test picks which pods go in which slice and in
 * what order; each endpoint is filled in from the pod as it is at the time of writing, the way
 * the EndpointSlice controller does: `serving` = the pod is Ready, `terminating` = it has a
 * deletionTimestamp, `ready` = serving and not terminating, plus its node and a targetRef with
 * the pod's UID.
 */
import * as k8s from '@kubernetes/client-node';
import { apiStatus } from '../harness/api-errors.ts';

/** `endpointslice.kubernetes.io/managed-by` of slices written by tests. */
export const HAND_SLICE_MANAGER = 'e2e.sluice.dev';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** One endpoint per pod, from the pod's current state. */
export function endpointOf(pod: k8s.V1Pod): k8s.V1Endpoint {
  const ip = pod.status?.podIP;
  if (!ip) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no IP yet; it cannot be an endpoint`);
  const serving = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  return {
    addresses: [ip],
    conditions: { ready: serving && !terminating, serving, terminating },
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
}

export interface HandSlice {
  readonly name: string;
  /** Pod names, in the order their endpoints are listed. */
  readonly pods: readonly string[];
  /**
   * The port number of the Service port (named `portName`) for every endpoint of the slice,
   * or undefined for a slice without ports: consumers then resolve the Service's named
   * targetPort from each pod's container ports.
   */
  readonly port: number | undefined;
}

export class HandSlices {
  readonly #core: k8s.CoreV1Api;
  readonly #discovery: k8s.DiscoveryV1Api;
  readonly #namespace: string;
  readonly #service: string;
  readonly #portName: string;

  constructor(kubeConfig: k8s.KubeConfig, namespace: string, service: string, portName = 'http') {
    this.#core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.#discovery = kubeConfig.makeApiClient(k8s.DiscoveryV1Api);
    this.#namespace = namespace;
    this.#service = service;
    this.#portName = portName;
  }

  /** Creates or replaces one slice; pods are read now, so their conditions are current. */
  async write(slice: HandSlice): Promise<void> {
    const pods = await Promise.all(slice.pods.map((name) => this.#core.readNamespacedPod({ name, namespace: this.#namespace })));
    const body: k8s.V1EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: slice.name,
        namespace: this.#namespace,
        labels: { [SERVICE_NAME_LABEL]: this.#service, 'endpointslice.kubernetes.io/managed-by': HAND_SLICE_MANAGER },
      },
      addressType: 'IPv4',
      ports: slice.port === undefined ? [] : [{ name: this.#portName, port: slice.port, protocol: 'TCP' }],
      endpoints: pods.map(endpointOf),
    };
    try {
      const current = await this.#discovery.readNamespacedEndpointSlice({ name: slice.name, namespace: this.#namespace });
      body.metadata!.resourceVersion = current.metadata?.resourceVersion;
      await this.#discovery.replaceNamespacedEndpointSlice({ name: slice.name, namespace: this.#namespace, body });
    } catch (error) {
      if (apiStatus(error) !== 404) throw error;
      await this.#discovery.createNamespacedEndpointSlice({ namespace: this.#namespace, body });
    }
  }

  /**
   * Makes the Service's hand-written slices exactly `slices`: writes them in the order given
   * (so a consumer that keeps creation order sees them so), then deletes any other. Writing
   * before deleting means the Service is never without its endpoints in between.
   */
  async layout(slices: readonly HandSlice[]): Promise<void> {
    for (const slice of slices) await this.write(slice);
    const keep = new Set(slices.map((s) => s.name));
    for (const name of await this.names()) {
      if (keep.has(name)) continue;
      try {
        await this.#discovery.deleteNamespacedEndpointSlice({ name, namespace: this.#namespace });
      } catch (error) {
        if (apiStatus(error) !== 404) throw error;
      }
    }
  }

  /** Names of the Service's hand-written slices, as the API server lists them. */
  async names(): Promise<string[]> {
    const list = await this.#discovery.listNamespacedEndpointSlice({
      namespace: this.#namespace,
      labelSelector: `${SERVICE_NAME_LABEL}=${this.#service},endpointslice.kubernetes.io/managed-by=${HAND_SLICE_MANAGER}`,
    });
    return list.items.map((s) => s.metadata?.name ?? '');
  }
}
