/**
 * The Node object of a simulated kubelet: registered Ready with its addresses and topology
 * labels, kept alive by renewing its Lease in `kube-node-lease` like a real kubelet.
 */
import {
  type CoordinationV1Api,
  type CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
  type V1Node,
} from '@kubernetes/client-node';
import { apiStatus, describeApiError } from './api-errors.ts';
import type { HarnessLogger } from './logger.ts';
import { formatTime } from './pod-conditions.ts';

/** Label every simulated node carries; the simulators schedule onto these nodes only. */
export const SIMULATED_NODE_LABEL = 'sim.sluice.dev/simulated';

/** Options for {@link registerNode}. */
export interface NodeRegistrationOptions {
  name: string;
  zone: string;
  /** `topology.kubernetes.io/region`; omitted when undefined. */
  region: string | undefined;
  internalIp: string;
  /** Extra labels. */
  labels: Record<string, string>;
  /** `spec.providerID`; omitted when undefined. */
  providerId: string | undefined;
  /** How often the Lease is renewed; its duration is four times this. */
  heartbeatIntervalMs: number;
}

export interface NodeRegistration {
  /** Stops renewing and, when `remove`, deletes the Lease and the Node. */
  stop(remove: boolean): Promise<void>;
}

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** MicroTime wants exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export async function registerNode(
  core: CoreV1Api,
  coordination: CoordinationV1Api,
  options: NodeRegistrationOptions,
  log: HarnessLogger,
): Promise<NodeRegistration> {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': options.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'topology.kubernetes.io/zone': options.zone,
    ...(options.region ? { 'topology.kubernetes.io/region': options.region } : {}),
    [SIMULATED_NODE_LABEL]: 'true',
    ...options.labels,
  };
  const node: V1Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: options.name, labels },
    spec: options.providerId ? { providerID: options.providerId } : {},
  };
  let created: V1Node;
  try {
    created = await core.createNode({ body: node });
  } catch (error) {
    if (apiStatus(error) !== 409) throw error;
    // Left over from an earlier simulator with the same name (a borrowed cluster): take it over.
    created = await core.patchNode({ name: options.name, body: { metadata: { labels }, spec: node.spec } }, strategicMerge);
  }

  const now = formatTime(new Date());
  await core.patchNodeStatus(
    {
      name: options.name,
      body: {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'kubelet simulator is posting ready status',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: 'InternalIP', address: options.internalIp },
            { type: 'Hostname', address: options.name },
          ],
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
          nodeInfo: {
            architecture: 'amd64',
            operatingSystem: 'linux',
            kubeletVersion: 'v1.34.4-sim',
            kubeProxyVersion: '',
            containerRuntimeVersion: 'sim://1.0.0',
            osImage: 'sluice kubelet simulator',
            kernelVersion: '',
            machineID: '',
            systemUUID: '',
            bootID: '',
          },
        },
      },
    },
    strategicMerge,
  );

  const namespace = 'kube-node-lease';
  const leaseDurationSeconds = Math.max(1, Math.round((options.heartbeatIntervalMs * 4) / 1000));
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: options.name,
      namespace,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: options.name, uid: created.metadata?.uid ?? '' }],
    },
    spec: { holderIdentity: options.name, leaseDurationSeconds, renewTime: microTime(new Date()) },
  } as unknown as V1Lease;
  try {
    await coordination.createNamespacedLease({ namespace, body: lease });
  } catch (error) {
    if (apiStatus(error) !== 409) throw error;
  }

  const renew = async () => {
    try {
      await coordination.patchNamespacedLease(
        { name: options.name, namespace, body: { spec: { holderIdentity: options.name, leaseDurationSeconds, renewTime: microTime(new Date()) } } },
        mergePatch,
      );
    } catch (error) {
      log.warn(`lease renewal for node ${options.name} failed: ${describeApiError(error)}`);
    }
  };
  const timer = setInterval(() => void renew(), options.heartbeatIntervalMs);
  timer.unref();
  log.info(`node ${options.name} registered (zone ${options.zone}, ${options.internalIp})`);

  return {
    async stop(remove) {
      clearInterval(timer);
      if (!remove) return;
      for (const del of [
        () => coordination.deleteNamespacedLease({ name: options.name, namespace }),
        () => core.deleteNode({ name: options.name }),
      ]) {
        try {
          await del();
        } catch (error) {
          if (apiStatus(error) !== 404) log.warn(`cleanup of node ${options.name}: ${describeApiError(error)}`);
        }
      }
    },
  };
}
