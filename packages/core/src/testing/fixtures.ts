/**
 * Builders for Kubernetes objects in table-driven tests: a Service, EndpointSlices and pods
 * in the states the lifecycle cares about.
 */
import type { EndpointSliceLike, PodLike, ServiceLike } from '../model/kube-types.ts';

export interface PodFixture {
  readonly name: string;
  readonly ip?: string;
  /** `ready` (ContainersReady True), `starting` (not ready), `terminating`, `exited`. @default 'ready' */
  readonly state?: 'ready' | 'starting' | 'terminating' | 'exited';
  readonly gated?: boolean;
  /** Gate condition status already on the pod. */
  readonly gate?: 'True' | 'False';
  readonly uid?: string;
  readonly weight?: string;
  readonly namespace?: string;
  readonly containerPorts?: readonly { name: string; containerPort: number }[];
  /** metadata.creationTimestamp. */
  readonly created?: string;
  readonly labels?: Record<string, string>;
}

export const GATE = 'sluice.dev/load-balancer-ready';

export function pod(f: PodFixture): PodLike {
  const state = f.state ?? 'ready';
  const conditions = [
    { type: 'ContainersReady', status: state === 'ready' || state === 'terminating' ? 'True' : 'False' },
    ...(f.gate ? [{ type: GATE, status: f.gate, reason: f.gate === 'True' ? 'LBHealthy' : 'LBRegistering', message: '' }] : []),
  ];
  return {
    metadata: {
      name: f.name,
      namespace: f.namespace ?? 'default',
      uid: f.uid ?? `uid-${f.name}`,
      labels: f.labels ?? { app: 'web' },
      ...(f.created ? { creationTimestamp: f.created } : {}),
      ...(f.weight !== undefined ? { annotations: { 'sluice.dev/weight': f.weight } } : {}),
      ...(state === 'terminating' || state === 'exited' ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'node-a',
      ...(f.gated === false ? {} : { readinessGates: [{ conditionType: GATE }] }),
      containers: [{ name: 'app', ports: [...(f.containerPorts ?? [{ name: 'http', containerPort: 8080 }])] }],
    },
    status: {
      phase: 'Running',
      ...(f.ip ? { podIP: f.ip, podIPs: [{ ip: f.ip }] } : {}),
      conditions,
      containerStatuses: [
        {
          name: 'app',
          ready: state === 'ready',
          state: state === 'exited' ? { terminated: { exitCode: 0 } } : { running: {} },
        },
      ],
    },
  };
}

export function service(
  ports: readonly { name?: string; port: number; targetPort?: number | string; protocol?: string }[] = [{ name: 'http', port: 80, targetPort: 'http' }],
  extra: { annotations?: Record<string, string>; name?: string; loadBalancerClass?: string; type?: string } = {},
): ServiceLike {
  return {
    metadata: { name: extra.name ?? 'web', namespace: 'default', uid: 'svc-uid', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      type: extra.type ?? 'LoadBalancer',
      selector: { app: 'web' },
      ports: ports.map((p) => ({ ...p })),
      ...(extra.loadBalancerClass ? { loadBalancerClass: extra.loadBalancerClass } : {}),
    },
  };
}

/** One EndpointSlice listing every pod that has an IP, as the EndpointSlice controller would. */
export function slice(pods: readonly PodLike[], ports: readonly { name: string; port: number }[] = [{ name: 'http', port: 8080 }], name = 'web-abc'): EndpointSliceLike {
  return {
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: pods
      .filter((p) => p.status?.podIP)
      .map((p) => ({
        addresses: [p.status!.podIP!],
        conditions: { ready: false, serving: true, terminating: p.metadata?.deletionTimestamp !== undefined },
        nodeName: 'node-a',
        targetRef: { kind: 'Pod', name: p.metadata!.name!, namespace: 'default', uid: p.metadata!.uid! },
      })),
  };
}
