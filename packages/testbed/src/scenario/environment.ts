/**
 * The whole test environment in one call: a real control plane, the pod network namespace
 * and a simulated node. `stop()` tears down everything it started, in reverse order.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane } from '../harness/control-plane.ts';
import { type KubeletSimulator, type KubeletSimulatorOptions, startKubeletSimulator } from '../harness/kubelet-sim.ts';
import type { IpFamily } from '../harness/ip-family.ts';
import type { HarnessLogger } from '../harness/logger.ts';
import { silentLogger } from '../harness/logger.ts';
import { createPodNetwork, type PodNetwork } from '../harness/pod-network.ts';

export interface Environment {
  readonly kubeConfig: KubeConfig;
  readonly kubeconfigPath: string;
  readonly server: string;
  /** The pod network every node of the environment uses. */
  readonly network: PodNetwork;
  /**
   * Starts one more simulated node on the environment's cluster and pod network (stopped by
   * {@link stop} unless the test stopped it first), e.g. one to lose while its pods remain.
   */
  startNode(options: Omit<KubeletSimulatorOptions, 'kubeConfig' | 'network'>): Promise<KubeletSimulator>;
  /** Milliseconds each part took to start. */
  readonly timings: { readonly controlPlaneMs: number; readonly networkMs: number; readonly nodeMs: number };
  /** Restarts kube-apiserver (same port and certificate); resolves when it is ready again. */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  /** One simulated node per zone (`topology.kubernetes.io/zone`), named `sim-<zone>`. @default ['zone-a'] */
  readonly zones?: readonly string[];
  /**
   * The address families every pod of those nodes gets, primary first (the cluster and the pod
   * network are always dual-stack; a pod may still choose with `sim.sluice.dev/ip-families`).
   * @default ['IPv4']
   */
  readonly podIpFamilies?: readonly IpFamily[];
}

export async function startEnvironment(log: HarnessLogger = silentLogger, options: EnvironmentOptions = {}): Promise<Environment> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => log.warn(`cleanup: ${String(e)}`));
  };
  try {
    let t = performance.now();
    const controlPlane = await startControlPlane({ log });
    stops.push(() => controlPlane.stop());
    const controlPlaneMs = performance.now() - t;
    t = performance.now();
    const network = await createPodNetwork({ log });
    stops.push(() => network.destroy());
    const networkMs = performance.now() - t;
    t = performance.now();
    for (const zone of options.zones ?? ['zone-a']) {
      const node = await startKubeletSimulator({ kubeConfig: controlPlane.kubeConfig, network, zone, log, podIpFamilies: options.podIpFamilies });
      stops.push(() => node.stop());
    }
    const nodeMs = performance.now() - t;
    const startNode = async (nodeOptions: Omit<KubeletSimulatorOptions, 'kubeConfig' | 'network'>) => {
      const node = await startKubeletSimulator({ log, podIpFamilies: options.podIpFamilies, ...nodeOptions, kubeConfig: controlPlane.kubeConfig, network });
      stops.push(() => node.stop());
      return node;
    };
    return {
      kubeConfig: controlPlane.kubeConfig,
      network,
      startNode,
      kubeconfigPath: controlPlane.kubeconfigPath,
      server: controlPlane.server,
      timings: { controlPlaneMs: Math.round(controlPlaneMs), networkMs: Math.round(networkMs), nodeMs: Math.round(nodeMs) },
      restartApiServer: () => controlPlane.restartApiServer(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
