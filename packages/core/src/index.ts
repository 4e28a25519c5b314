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
export { backendAddressKey, backendKey } from './provider.ts';
export { type Protocol, type ServicePortView, type ServiceSpecView, servicePortName } from './model/service.ts';
export {
  RetryableError,
  SluiceError,
  type SluiceErrorOptions,
  TerminalError,
  BackendRejectedError,
  type RejectedBackend,
  isBackendRejectedError,
  errorMessage,
  isRetryableError,
  isSluiceError,
  isTerminalError,
} from './errors.ts';
export type { EndpointSliceLike, ObjectMetaLike, PodConditionLike, PodLike, ServiceLike } from './model/kube-types.ts';
export { containersReady, hasExited, hasReadinessGate, isTerminating } from './model/pod-state.ts';
export {
  ANNOTATION_PREFIX,
  APPLIED_SPEC_ANNOTATION,
  DEFAULT_GATE_TIMEOUT_SECONDS,
  GATE_TIMEOUT_ANNOTATION,
  WEIGHT_ANNOTATION,
  type AnnotationProblem,
  parsePodWeight,
  parseServiceSettings,
} from './model/annotations.ts';
export { selectorMatches } from './model/selector.ts';
export { toServiceView, unsupportedProtocolProblems } from './model/service-view.ts';
export { type AnnotationReader, createAnnotationReader } from './model/annotation-reader.ts';
export {
  type BuildDesiredOptions,
  DEFAULT_GATE_CONDITION_TYPE,
  type DesiredBackend,
  type DesiredPod,
  type DesiredState,
  type AddressConflict,
  buildDesired,
  podTargetPort,
} from './model/build-desired.ts';
export { type BackendAction, applyToSet, batchActions, effectiveWeight, plan, stripKey } from './plan/plan.ts';
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
export { FINALIZER, type ReconcileObserver, Reconciler, type ReconcilerOptions, isHandled, readClusterState } from './controller/reconciler.ts';
export { ReconcileMemory } from './controller/memory.ts';
export {
  GATE_REASON_ADDRESS_CONFLICT,
  GATE_REASON_INVALID_WEIGHT,
  GATE_REASON_REJECTED,
  decide,
  shouldReadLoadBalancer,
} from './decide/decide.ts';
export { appliedSpecDigest, recordedSpecDigest } from './decide/applied-spec.ts';
export { sameIngress, serviceProblems } from './decide/service-checks.ts';
export type {
  DecideInput,
  DecideMemory,
  DecideOptions,
  GatePatch,
  IngressChange,
  LoadBalancerOperation,
  NextStep,
  ObservedLoadBalancer,
  PlanMode,
  PlanObjectRef,
  PlannedEvent,
  ServicePlan,
} from './decide/types.ts';
export { type ExecuteContext, type ExecuteObserver, executePlan } from './apply/execute.ts';
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
