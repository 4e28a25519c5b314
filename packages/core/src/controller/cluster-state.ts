/**
 * What a reconcile (and `sluice plan`) reads from the caches for one Service: its
 * EndpointSlices and their pods, the pods its selector picks, the other handled Services of
 * each pod, and the pods' nodes' provider IDs. No provider call, no write.
 */
import type * as k8s from '@kubernetes/client-node';
import { isHandled } from '../decide/service-checks.ts';
import { selectorMatches } from '../model/selector.ts';
import { type Caches, podsFor, serviceKeysOfPod, slicesFor } from './caches.ts';

/** Everything a reconcile reads from the caches for one Service (no provider call). */
export function readClusterState(caches: Caches, service: k8s.V1Service, loadBalancerClass: string | undefined, handleUnclassed = false) {
  const namespace = service.metadata?.namespace ?? '';
  const name = service.metadata?.name ?? '';
  const key = `${namespace}/${name}`;
  const slices = slicesFor(caches, namespace, name);
  const pods = podsFor(caches, slices);
  const selector = service.spec?.selector;
  const selectedPods = selector ? caches.pods.list(namespace).filter((p) => selectorMatches(selector, p.metadata?.labels)) : [];
  const otherServicesOfPod = new Map<string, string[]>();
  for (const pod of [...pods, ...selectedPods]) {
    const uid = pod.metadata?.uid;
    if (!uid || otherServicesOfPod.has(uid)) continue;
    const others = serviceKeysOfPod(caches.services, pod, caches.endpointSlices).filter((k) => {
      if (k === key) return false;
      const [ns = '', n = ''] = k.split('/');
      const other = caches.services.get(n, ns);
      return other !== undefined && !other.metadata?.deletionTimestamp && isHandled(other, loadBalancerClass, handleUnclassed);
    });
    if (others.length > 0) otherServicesOfPod.set(uid, others);
  }
  // The provider IDs of the pods' nodes, when the nodes are watched (the provider asked for them).
  const nodeProviderIds = new Map<string, string>();
  if (caches.nodes) {
    const nodeNames = new Set([...pods.map((p) => p.spec?.nodeName), ...slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.nodeName))]);
    for (const node of nodeNames) {
      const id = node ? caches.nodes.get(node)?.spec?.providerID : undefined;
      if (node && id) nodeProviderIds.set(node, id);
    }
  }
  return { slices, pods, selectedPods, otherServicesOfPod, ...(caches.nodes ? { nodeProviderIds } : {}) };
}
