/**
 * An in-memory cluster for reconciler tests: read caches the test fills, and a
 * {@link ClusterWriter} that applies each write to those caches the way the API server and
 * the informers would, recording every write in order.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Caches, ReadCache } from '../controller/caches.ts';
import type { ClusterWriter } from '../controller/cluster.ts';
import type { LoadBalancerIngress } from '../provider.ts';

export class MapCache<T extends { metadata?: { name?: string; namespace?: string } }> implements ReadCache<T> {
  readonly items = new Map<string, T>();
  put(obj: T): void {
    this.items.set(`${obj.metadata?.namespace}/${obj.metadata?.name}`, obj);
  }
  remove(namespace: string, name: string): void {
    this.items.delete(`${namespace}/${name}`);
  }
  get(name: string, namespace?: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }
  list(namespace?: string): T[] {
    return [...this.items.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
}

export interface FakeCaches extends Caches {
  readonly services: MapCache<k8s.V1Service>;
  readonly endpointSlices: MapCache<k8s.V1EndpointSlice>;
  readonly pods: MapCache<k8s.V1Pod>;
}

export function fakeCaches(): FakeCaches {
  return { services: new MapCache(), endpointSlices: new MapCache(), pods: new MapCache() };
}

/** One write the fake cluster received: `kind` and its target, in the vocabulary of {@link planRows}. */
export interface ClusterWrite {
  readonly verb: 'add finalizer' | 'remove finalizer' | 'set finalizers' | 'annotate' | 'set ingress' | 'clear ingress' | 'set gate';
  readonly object: string;
  readonly detail: string;
}

export class FakeCluster implements ClusterWriter {
  /** Every write, as a short line (kept for older assertions). */
  readonly writes: string[] = [];
  readonly log: ClusterWrite[] = [];
  readonly events: { reason: string; type: string; message: string; object: string; count: number }[] = [];
  readonly caches: FakeCaches;
  constructor(caches: FakeCaches) {
    this.caches = caches;
  }
  async patchPodStatus(namespace: string, name: string, body: object): Promise<void> {
    const conditions = (body as { status: { conditions: k8s.V1PodCondition[] } }).status.conditions;
    this.writes.push(`pod-status ${name} ${conditions.map((c) => `${c.type}=${c.status}`).join(',')}`);
    for (const c of conditions) this.log.push({ verb: 'set gate', object: `${namespace}/${name}`, detail: `${c.status}  ${c.reason}` });
    const p = this.caches.pods.get(name, namespace);
    if (!p) return;
    const others = (p.status?.conditions ?? []).filter((c) => !conditions.some((n) => n.type === c.type));
    this.caches.pods.put({ ...p, status: { ...p.status, conditions: [...others, ...conditions] } });
  }
  async patchServiceIngress(namespace: string, name: string, ingress: readonly LoadBalancerIngress[]): Promise<void> {
    this.writes.push(`service-status ${name}`);
    this.log.push({ verb: ingress.length === 0 ? 'clear ingress' : 'set ingress', object: `${namespace}/${name}`, detail: '' });
    const s = this.caches.services.get(name, namespace)!;
    this.caches.services.put({ ...s, status: { loadBalancer: { ingress: ingress as k8s.V1LoadBalancerIngress[] } } });
  }
  async setServiceFinalizers(namespace: string, name: string, finalizers: readonly string[]): Promise<void> {
    this.writes.push(`finalizers ${name} [${finalizers.join(',')}]`);
    const s = this.caches.services.get(name, namespace)!;
    const before = s.metadata?.finalizers ?? [];
    const added = finalizers.filter((f) => !before.includes(f));
    const removed = before.filter((f) => !finalizers.includes(f));
    for (const f of added) this.log.push({ verb: 'add finalizer', object: f, detail: '' });
    for (const f of removed) this.log.push({ verb: 'remove finalizer', object: f, detail: '' });
    if (s.metadata?.deletionTimestamp && finalizers.length === 0) this.caches.services.remove(namespace, name);
    else this.caches.services.put({ ...s, metadata: { ...s.metadata, finalizers: [...finalizers] } });
  }
  async setServiceAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    this.writes.push(`annotate ${name} ${key}`);
    this.log.push({ verb: 'annotate', object: key, detail: value });
    const s = this.caches.services.get(name, namespace)!;
    this.caches.services.put({ ...s, metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, [key]: value } } });
  }
  async createEvent(event: k8s.CoreV1Event): Promise<void> {
    this.events.push({ reason: event.reason ?? '', type: event.type ?? '', message: event.message ?? '', object: `${event.involvedObject.kind}/${event.involvedObject.name}`, count: 1 });
  }
  async patchEvent(): Promise<void> {}
}
