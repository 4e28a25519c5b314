/**
 * @sluice/core: the pod-direct LoadBalancer provider contract and the lifecycle around it.
 * No cloud SDK is imported anywhere in this package.
 */
export type {
  Backend,
  BackendHealthState,
  BackendState,
  BackendStatus,
  DrainMode,
  LoadBalancer,
  LoadBalancerIngress,
  LoadBalancerLookup,
  LoadBalancerStatus,
  Logger,
  ProviderCapabilities,
  ProviderFactory,
  ServiceProblem,
} from './provider.ts';
export { backendAddressKey } from './provider.ts';
export { type Protocol, type ServicePortView, type ServiceSpecView, servicePortName } from './model/service.ts';
export {
  RetryableError,
  SluiceError,
  type SluiceErrorOptions,
  TerminalError,
  errorMessage,
  isRetryableError,
  isSluiceError,
  isTerminalError,
} from './errors.ts';
export type { EndpointSliceLike, ObjectMetaLike, PodConditionLike, PodLike, ServiceLike } from './model/kube-types.ts';
export { containersReady, hasExited, hasReadinessGate, isTerminating } from './model/pod-state.ts';
export {
  ANNOTATION_PREFIX,
  DEFAULT_GATE_TIMEOUT_SECONDS,
  GATE_TIMEOUT_ANNOTATION,
  WEIGHT_ANNOTATION,
  type AnnotationProblem,
  parsePodWeight,
  parseServiceSettings,
} from './model/annotations.ts';
export { toServiceView, unsupportedProtocolProblems } from './model/service-view.ts';
export { type AnnotationReader, createAnnotationReader } from './model/annotation-reader.ts';
export {
  type BuildDesiredOptions,
  DEFAULT_GATE_CONDITION_TYPE,
  type DesiredBackend,
  type DesiredPod,
  type DesiredState,
  buildDesired,
} from './model/build-desired.ts';
export { type BackendAction, applyToSet, batchActions, effectiveWeight, plan } from './plan/plan.ts';
export { type ApplyInput, type ApplyResult, applyPlan, currentBackends, initialBackends } from './apply/apply.ts';
export {
  GATE_MESSAGE_HEALTHY,
  GATE_REASON_HEALTHY,
  type GateCondition,
  combineGates,
  conditionPatchBody,
  conditionToPatch,
  gateForPod,
  healthByKey,
} from './readiness/gate.ts';
export { type Clock, systemClock } from './queue/clock.ts';
export { Backoff, type BackoffOptions } from './queue/backoff.ts';
export { WorkQueue, type WorkQueueOptions } from './queue/work-queue.ts';
export { type ReconcileResult, handleResult, resultFromError } from './controller/result.ts';
export { type Caches, type ReadCache, podsFor, serviceKeyOfSlice, serviceKeysOfPod, slicesFor } from './controller/caches.ts';
export { type ClusterWriter, type EventType, KubeClusterWriter, type ObjectRef, classifyApiError } from './controller/cluster.ts';
export { EventRecorder, type EventRecorderOptions } from './controller/events.ts';
export { FINALIZER, type ReconcileObserver, Reconciler, type ReconcilerOptions, isHandled } from './controller/reconciler.ts';
export { ResilientInformer, type ResilientInformerOptions } from './controller/resilient-informer.ts';
export { Controller, type ControllerObserver, type ControllerOptions } from './controller/controller.ts';
export {
  type CallOutcome,
  NotLeaderError,
  type ProviderInstrumentation,
  type ProviderOperation,
  WRITE_OPERATIONS,
  instrumentProvider,
} from './controller/instrumented-provider.ts';
export { fenceWriter } from './controller/fenced-writer.ts';
export { shareApiConnections } from './kube/shared-connections.ts';
export { LIST_PAGE_SIZE, type ListInPagesOptions, type ListPage, dropManagedFields, listInPages } from './kube/paged-list.ts';
export { KubeLeaseStore, LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from './leader/lease-store.ts';
export { LeaderElector, type LeaderElectorOptions, LeadershipLostError, LeadershipReleasedError, isLeadershipLost } from './leader/leader-elector.ts';
