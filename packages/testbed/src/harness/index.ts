export { type ControlPlane, type ControlPlaneOptions, DEFAULT_CONTROLLERS, DEFAULT_SERVICE_CLUSTER_IP_RANGE, startControlPlane } from './control-plane.ts';
export { type ControlPlaneBinaries, resolveControlPlaneBinaries } from './control-plane-binaries.ts';
export { type KubeconfigParams, kubeconfigDocument, writeKubeconfig } from './kubeconfig-file.ts';
export { createPodNetwork, type PodExecOptions, type PodNetwork, type PodNetworkOptions } from './pod-network.ts';
export { removeStaleNamespaces } from './netns-cleanup.ts';
export { type ClientNetwork, type ClientNetworkOptions, createClientNetwork } from './client-network.ts';
export type { NetnsExecOptions, NetnsRunner } from './netns-exec.ts';
export { type ContainerProcess, type ContainerProcessOptions, POD_APP_PATH, startContainerProcess } from './container-process.ts';
export { type KubeletSimulator, type KubeletSimulatorOptions, startKubeletSimulator } from './kubelet-sim.ts';
export { SIGTERM_ANNOTATION } from './pod-runner.ts';
export { POD_IP_ANNOTATION, POD_IP_FAMILIES_ANNOTATION } from './pod-annotations.ts';
export { familyOf, IP_FAMILIES, type IpFamily } from './ip-family.ts';
export { type AddressRequest, podAddressRequest } from './pod-addresses.ts';
export { AddressPool, type AddressPoolOptions } from './address-pool.ts';
export { SIMULATED_NODE_LABEL } from './node-registration.ts';
export {
  assignPods,
  podFitsNode,
  type ScheduleContext,
  type SchedulePolicy,
  spreadByOwner,
} from './pod-scheduling.ts';
export {
  type ConditionValue,
  containersReadyCondition,
  OWNED_CONDITION_TYPES,
  readyCondition,
  statusPatch,
} from './pod-conditions.ts';
export { type PreStopAction, preStopAction } from './lifecycle-hooks.ts';
export { type ManagedProcess, type ManagedProcessOptions, type ProcessExit, startManagedProcess, tailFile } from './managed-process.ts';
export { handleSignals } from './child-registry.ts';
export { freeLoopbackPorts } from './free-port.ts';
export { consoleLogger, type HarnessLogger, silentLogger } from './logger.ts';
export { sleep, type WaitOptions, waitFor } from './wait.ts';
export { apiStatus, describeApiError } from './api-errors.ts';
export { type PodStamper, type PodStamperObserver, type PodStamperOptions, type PodStamperStats, startPodStamper } from './pod-stamper.ts';
export { createKubeRest, type KubeRest, KubeRestError, type KubeRestOptions, PATCH_TYPES } from './kube-rest.ts';
export { formatIpv4, type Ipv4Range, parseCidr, parseIpv4, rangesOverlap } from './ipv4.ts';
