/**
 * Read access to the informer caches, and the pure key mappers that turn any change into
 * the Service keys it affects. Events only produce keys; reconciles read the caches.
 */
import type * as k8s from '@kubernetes/client-node';
import { objectKey } from '../model/kube-types.ts';
import { selectorMatches } from '../model/selector.ts';

export interface ReadCache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): ReadonlyArray<T>;
}

export interface Caches {
  readonly services: ReadCache<k8s.V1Service>;
  readonly endpointSlices: ReadCache<k8s.V1EndpointSlice>;
  readonly pods: ReadCache<k8s.V1Pod>;
  /** Only when the provider asks for nodes' provider IDs (ProviderCapabilities.nodeProviderIds). */
  readonly nodes?: ReadCache<k8s.V1Node>;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The EndpointSlices of a Service. */
export function slicesFor(caches: Caches, namespace: string, name: string): k8s.V1EndpointSlice[] {
  return caches.endpointSlices.list(namespace).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name);
}

/** The pods the slices reference, by name, checked against the slice's pod UID. */
export function podsFor(caches: Caches, slices: readonly k8s.V1EndpointSlice[]): k8s.V1Pod[] {
  const pods = new Map<string, k8s.V1Pod>();
  for (const slice of slices) {
    for (const e of slice.endpoints ?? []) {
      const ref = e.targetRef;
      if (ref?.kind !== 'Pod' || !ref.name || !ref.uid) continue;
      const pod = caches.pods.get(ref.name, ref.namespace ?? slice.metadata?.namespace);
      if (pod?.metadata?.uid === ref.uid) pods.set(ref.uid, pod);
    }
  }
  return [...pods.values()];
}

/** The Service key of an EndpointSlice, from its service-name label. */
export function serviceKeyOfSlice(slice: k8s.V1EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}


/**
 * The keys of the Services in the pod's namespace that the pod concerns: those whose selector
 * matches it, and, given the slices, Services without a selector whose hand-written
 * EndpointSlices reference it (their endpoints are the user's, so a drain must not wait for a
 * slice change or the resync).
 */
export function serviceKeysOfPod(services: ReadCache<k8s.V1Service>, pod: k8s.V1Pod, endpointSlices?: ReadCache<k8s.V1EndpointSlice>): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const uid = pod.metadata?.uid;
  const inNamespace = services.list(ns);
  const keys = inNamespace.filter((s) => selectorMatches(s.spec?.selector, pod.metadata?.labels)).map((s) => objectKey(s.metadata));
  const unselected = inNamespace.filter((s) => !s.spec?.selector || Object.keys(s.spec.selector).length === 0);
  if (endpointSlices && uid && unselected.length > 0) {
    const names = new Set(unselected.map((s) => s.metadata?.name ?? ''));
    for (const slice of endpointSlices.list(ns)) {
      const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!name || !names.has(name)) continue;
      if ((slice.endpoints ?? []).some((e) => e.targetRef?.uid === uid)) {
        keys.push(`${ns}/${name}`);
        names.delete(name);
      }
    }
  }
  return keys;
}
