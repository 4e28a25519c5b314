/**
 * One read of the cluster for `sluice plan`: every Service, EndpointSlice and Pod, each
 * listed once (in pages), never watched and never written. The result is offered through
 * the same {@link Caches} interface the reconciler reads, so the core's own helpers
 * (slicesFor, podsFor) pick each Service's slices and pods exactly as a reconcile would.
 */
import * as k8s from '@kubernetes/client-node';
import { type Caches, LIST_PAGE_SIZE, type ListPage, listInPages, type ReadCache } from '@sluice/core';

/** A read-only cache over a fixed list of objects. */
export class ListCache<T extends { metadata?: { name?: string; namespace?: string } }> implements ReadCache<T> {
  readonly #items: readonly T[];
  readonly #byKey = new Map<string, T>();

  constructor(items: readonly T[]) {
    this.#items = items;
    for (const item of items) this.#byKey.set(`${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`, item);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#byKey.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): ReadonlyArray<T> {
    return namespace === undefined ? this.#items : this.#items.filter((i) => i.metadata?.namespace === namespace);
  }
}

export interface ClusterSnapshot {
  readonly services: readonly k8s.V1Service[];
  readonly caches: Caches;
}

export function snapshotOf(services: readonly k8s.V1Service[], endpointSlices: readonly k8s.V1EndpointSlice[], pods: readonly k8s.V1Pod[]): ClusterSnapshot {
  return {
    services,
    caches: { services: new ListCache(services), endpointSlices: new ListCache(endpointSlices), pods: new ListCache(pods) },
  };
}

/** Rejects with the signal's reason as soon as it aborts (the client takes no signal). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A failed list, naming the resource: the caller turns it into one sentence. */
export class ListError extends Error {
  override name = 'ListError';
  readonly resource: string;

  constructor(resource: string, cause: unknown) {
    super(`cannot list ${resource}`, { cause });
    this.resource = resource;
  }
}

/** Lists Services, EndpointSlices and Pods in every namespace, one after the other. */
export async function readCluster(kc: k8s.KubeConfig, signal: AbortSignal): Promise<ClusterSnapshot> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const limit = LIST_PAGE_SIZE;
  const list = async <T extends k8s.KubernetesObject>(resource: string, fetchPage: (cont: string | undefined) => Promise<ListPage<T>>): Promise<T[]> => {
    try {
      return (await listInPages((cont) => abortable(fetchPage(cont), signal))).items;
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ListError(resource, error);
    }
  };
  const services = await list('services', (cont) => core.listServiceForAllNamespaces({ limit, ...(cont ? { _continue: cont } : {}) }));
  const slices = await list('endpointslices', (cont) => discovery.listEndpointSliceForAllNamespaces({ limit, ...(cont ? { _continue: cont } : {}) }));
  const pods = await list('pods', (cont) => core.listPodForAllNamespaces({ limit, ...(cont ? { _continue: cont } : {}) }));
  return snapshotOf(services, slices, pods);
}
