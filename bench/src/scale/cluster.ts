/**
 * The cluster side of the reaction and scale benches: one real control plane (tuned for
 * bulk work, see CONTROLLER_MANAGER_ARGS), a pod stamper as the only node, and helpers that
 * create and remove thousands of Services and pods through one keep-alive connection pool.
 */
import type { V1EndpointSliceList, V1Pod, V1Service } from '@kubernetes/client-node';
import { type ControlPlane, createKubeRest, type HarnessLogger, type KubeRest, PATCH_TYPES, type PodStamper, type PodStamperObserver, startControlPlane, startPodStamper, waitFor } from '@sluice/testbed/harness';

/** The readiness gate Sluice owns (its default condition type). */
export const GATE_TYPE = 'sluice.dev/load-balancer-ready';
/** Target port of every bench pod. */
export const TARGET_PORT = 8080;
/** Service port (unusual, so the local provider's listeners rarely get their preferred port and take a free one). */
export const SERVICE_PORT = 28080;

/**
 * kube-controller-manager's client defaults to 20 requests/s (burst 30): the EndpointSlice
 * controller then needs minutes to publish 10,000 pods and becomes what the bench measures.
 * Raising the client limits and the sync concurrency keeps it out of the way.
 */
export const CONTROLLER_MANAGER_ARGS: readonly string[] = ['--kube-api-qps=2000', '--kube-api-burst=4000', '--concurrent-service-endpoint-syncs=20'];

/**
 * kube-apiserver deletes the objects of a DELETE on a collection one at a time by default:
 * removing 10,000 pods (by the bench, or by the namespace controller) then takes minutes.
 */
export const API_SERVER_ARGS: readonly string[] = ['--delete-collection-workers=16'];

/** Writes in flight at once from the bench (creates, deletes, finalizer patches). */
const CONCURRENCY = 32;

export interface BenchCluster {
  readonly controlPlane: ControlPlane;
  readonly rest: KubeRest;
  readonly stamper: PodStamper;
  stop(): Promise<void>;
}

export interface BenchClusterOptions {
  /** Where the stamper takes pod IPs. @default '10.213.0.0/16' */
  readonly podCidr?: string;
  readonly internalIp?: string;
  readonly observer?: PodStamperObserver;
  /** Extra kube-controller-manager flags. @default CONTROLLER_MANAGER_ARGS */
  readonly controllerManagerArgs?: readonly string[];
  readonly log: HarnessLogger;
}

export async function startBenchCluster(options: BenchClusterOptions): Promise<BenchCluster> {
  const controlPlane = await startControlPlane({
    log: options.log,
    apiServerArgs: API_SERVER_ARGS,
    controllerManagerArgs: options.controllerManagerArgs ?? CONTROLLER_MANAGER_ARGS,
  });
  try {
    const rest = await createKubeRest(controlPlane.kubeConfig, { maxSockets: CONCURRENCY });
    const stamper = await startPodStamper({
      kubeConfig: controlPlane.kubeConfig,
      log: options.log,
      cleanUpOnStop: false,
      ...(options.podCidr ? { podCidr: options.podCidr } : {}),
      ...(options.internalIp ? { internalIp: options.internalIp } : {}),
      ...(options.observer ? { observer: options.observer } : {}),
    });
    return {
      controlPlane,
      rest,
      stamper,
      async stop() {
        await stamper.stop();
        rest.close();
        await controlPlane.stop();
      },
    };
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
}

/** Runs `task` on every item with at most `concurrency` at once; the first error rejects after all settle. */
export async function runPool<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Creates the namespace and waits for its `default` ServiceAccount (pods are refused before). */
export async function createNamespace(rest: KubeRest, name: string): Promise<void> {
  await rest.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await waitFor(`ServiceAccount ${name}/default`, () => rest.request(`GET`, `/api/v1/namespaces/${name}/serviceaccounts/default`).then(() => true), {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
}

export function serviceObject(name: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      type: 'LoadBalancer',
      // Pod-direct: no node ports (and so no 2,768-port limit on the bench's Service count).
      allocateLoadBalancerNodePorts: false,
      selector: { app: name },
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: TARGET_PORT, protocol: 'TCP' }],
    },
  };
}

export interface PodShape {
  /** preStop sleep: how long the stamper keeps a deleted pod serving. */
  readonly preStopSeconds: number;
}

export function podObject(name: string, app: string, nodeName: string, shape: PodShape): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 30,
      readinessGates: [{ conditionType: GATE_TYPE }],
      containers: [
        {
          name: 'app',
          image: 'sluice.dev/bench-app:1',
          ports: [{ containerPort: TARGET_PORT, protocol: 'TCP' }],
          ...(shape.preStopSeconds > 0 ? { lifecycle: { preStop: { sleep: { seconds: shape.preStopSeconds } } } } : {}),
        },
      ],
    },
  };
}

/** Creates Services `svc-0..n-1` and `podsPerService` pods for each; returns every pod UID. */
export async function populate(
  rest: KubeRest,
  namespace: string,
  services: number,
  podsPerService: number,
  nodeName: string,
  shape: PodShape,
): Promise<Map<string, V1Pod>> {
  const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
  await runPool(names, CONCURRENCY, async (name) => {
    await rest.request('POST', `/api/v1/namespaces/${namespace}/services`, serviceObject(name));
  });
  const pods = new Map<string, V1Pod>();
  const specs = names.flatMap((svc) => Array.from({ length: podsPerService }, (_, j) => podObject(`${svc}-p${j}`, svc, nodeName, shape)));
  await runPool(specs, CONCURRENCY, async (spec) => {
    const created = await rest.request<V1Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, spec);
    pods.set(created.metadata!.uid!, created);
  });
  return pods;
}

/** Endpoints in the namespace's EndpointSlices whose pod is in `uids`. */
export async function countEndpoints(rest: KubeRest, namespace: string, uids: ReadonlySet<string>): Promise<number> {
  const list = await rest.request<V1EndpointSliceList>('GET', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`);
  let n = 0;
  for (const slice of list.items) for (const e of slice.endpoints ?? []) if (e.targetRef?.uid && uids.has(e.targetRef.uid)) n++;
  return n;
}

/** Waits until every pod in `uids` is an endpoint of its Service. */
export async function waitForEndpoints(rest: KubeRest, namespace: string, uids: ReadonlySet<string>, timeoutMs: number): Promise<void> {
  await waitFor(`${uids.size} endpoints in ${namespace}`, async () => (await countEndpoints(rest, namespace, uids)) === uids.size, {
    timeoutMs,
    intervalMs: 250,
  });
}

/**
 * Removes everything a controller would see of a namespace, without a controller running:
 * its pods at once (grace 0), Sluice's finalizer from its Services, the Services and the
 * EndpointSlices; then deletes the namespace itself (its events and the rest go in the
 * background). The next size then starts with empty caches.
 */
export async function removeNamespace(rest: KubeRest, namespace: string): Promise<void> {
  const collectionTimeoutMs = 600_000;
  const deleteAll = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 };
  await rest.request('DELETE', `/api/v1/namespaces/${namespace}/pods`, deleteAll, 'application/json', collectionTimeoutMs);
  const services = await rest.request<{ items: V1Service[] }>('GET', `/api/v1/namespaces/${namespace}/services`);
  await runPool(services.items, CONCURRENCY, async (svc) => {
    const path = `/api/v1/namespaces/${namespace}/services/${svc.metadata?.name}`;
    if ((svc.metadata?.finalizers ?? []).length > 0) await rest.request('PATCH', path, { metadata: { finalizers: null } }, PATCH_TYPES.merge);
    await rest.request('DELETE', path);
  });
  await rest.request('DELETE', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, deleteAll, 'application/json', collectionTimeoutMs);
  await rest.request('DELETE', `/api/v1/namespaces/${namespace}`);
}

/** `n` quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}
