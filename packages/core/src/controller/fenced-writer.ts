/**
 * A {@link ClusterWriter} that refuses every write while this replica may not write (it
 * does not hold the leader Lease): pod gate patches, Service status and finalizers, events.
 */
import type * as k8s from '@kubernetes/client-node';
import type { LoadBalancerIngress } from '../provider.ts';
import type { ClusterWriter } from './cluster.ts';
import { NotLeaderError } from './instrumented-provider.ts';

export function fenceWriter(writer: ClusterWriter, canWrite: () => boolean): ClusterWriter {
  const guard = (what: string) => {
    if (!canWrite()) throw new NotLeaderError(`${what} refused: this replica does not hold the leader lease`);
  };
  return {
    async patchPodStatus(namespace: string, name: string, body: object, signal: AbortSignal) {
      guard(`patch pods/status ${namespace}/${name}`);
      await writer.patchPodStatus(namespace, name, body, signal);
    },
    async patchServiceIngress(namespace: string, name: string, ingress: readonly LoadBalancerIngress[], signal: AbortSignal) {
      guard(`update services/status ${namespace}/${name}`);
      await writer.patchServiceIngress(namespace, name, ingress, signal);
    },
    async setServiceFinalizers(namespace: string, name: string, finalizers: readonly string[], resourceVersion: string, signal: AbortSignal) {
      guard(`update finalizers of ${namespace}/${name}`);
      await writer.setServiceFinalizers(namespace, name, finalizers, resourceVersion, signal);
    },
    async setServiceAnnotation(namespace: string, name: string, key: string, value: string, signal: AbortSignal) {
      guard(`annotate Service ${namespace}/${name}`);
      await writer.setServiceAnnotation(namespace, name, key, value, signal);
    },
    async createEvent(event: k8s.CoreV1Event, signal: AbortSignal) {
      guard('create event');
      await writer.createEvent(event, signal);
    },
    async patchEvent(namespace: string, name: string, count: number, lastTimestamp: Date, signal: AbortSignal) {
      guard('patch event');
      await writer.patchEvent(namespace, name, count, lastTimestamp, signal);
    },
  };
}
