/**
 * @sluice/core: the pod-direct LoadBalancer provider contract and the lifecycle around it.
 * No cloud SDK is imported anywhere in this package.
 */

export { type ApplyInput, type ApplyResult, applyPlan, currentBackends, initialBackends } from './apply/apply.ts';
export { type ExecuteContext, type ExecuteObserver, executePlan } from './apply/execute.ts';
export { type Caches, podsFor, type ReadCache, serviceKeyOfSlice, serviceKeysOfPod, slicesFor } from './controller/caches.ts';
export { type ClusterWriter, classifyApiError, type EventType, KubeClusterWriter, type ObjectRef } from './controller/cluster.ts';
export { Controller, type ControllerObserver, type ControllerOptions } from './controller/controller.ts';
export { EventRecorder, type EventRecorderOptions } from './controller/events.ts';
export { fenceWriter } from './controller/fenced-writer.ts';
export {
  type CallOutcome,
  countStates,
  instrumentProvider,
  NotLeaderError,
  type ProviderInstrumentation,
  type ProviderOperation,
  WRITE_OPERATIONS,
} from './controller/instrumented-provider.ts';
export { ReconcileMemory } from './controller/memory.ts';
export { readClusterState } from './controller/cluster-state.ts';
export { FINALIZER, isHandled, POD_KEY_PREFIX, type ReconcileObserver, Reconciler, type ReconcilerOptions } from './controller/reconciler.ts';
export { ResilientInformer, type ResilientInformerOptions } from './controller/resilient-informer.ts';
export { handleResult, type ReconcileResult, resultFromError } from './controller/result.ts';
export { appliedSpecDigest, recordedSpecDigest } from './decide/applied-spec.ts';
export {
  decide,
  GATE_REASON_ADDRESS_CONFLICT,
  GATE_REASON_INVALID_WEIGHT,
  GATE_REASON_REJECTED,
  GATE_REASON_SERVICE_REFUSED,
  shouldReadLoadBalancer,
} from './decide/decide.ts';
export { type PlanRow, planEvents, planRows } from './decide/describe.ts';
export { type FeatureFindings, featureChecks, isCidr } from './decide/feature-checks.ts';
export { type ForeignAnnotation, foreignAnnotation } from './decide/foreign-annotations.ts';
export { decidePodGate, GATE_REASON_NO_LOAD_BALANCER, type PodGateInput, type PodGatePlan } from './decide/pod-gate.ts';
export { DEFAULT_LOAD_BALANCER_CLASS, sameIngress, serviceProblems, withIpMode } from './decide/service-checks.ts';
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
  PlannedEvent,
  PlanObjectRef,
  ServicePlan,
} from './decide/types.ts';
export {
  BackendRejectedError,
  errorMessage,
  isBackendRejectedError,
  isRetryableError,
  isSluiceError,
  isTerminalError,
  type RejectedBackend,
  RetryableError,
  SluiceError,
  type SluiceErrorOptions,
  TerminalError,
} from './errors.ts';
export { dropManagedFields, LIST_PAGE_SIZE, type ListInPagesOptions, type ListPage, listInPages } from './kube/paged-list.ts';
export { shareApiConnections } from './kube/shared-connections.ts';
export { isLeadershipLost, LeaderElector, type LeaderElectorOptions, LeadershipLostError, LeadershipReleasedError } from './leader/leader-elector.ts';
export { KubeLeaseStore, LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from './leader/lease-store.ts';
export { type AnnotationReader, createAnnotationReader } from './model/annotation-reader.ts';
export {
  ANNOTATION_PREFIX,
  type AnnotationProblem,
  APPLIED_SPEC_ANNOTATION,
  DEFAULT_GATE_TIMEOUT_SECONDS,
  GATE_TIMEOUT_ANNOTATION,
  parsePodWeight,
  parseServiceSettings,
  WEIGHT_ANNOTATION,
} from './model/annotations.ts';
export {
  type AddressConflict,
  type BuildDesiredOptions,
  buildDesired,
  DEFAULT_GATE_CONDITION_TYPE,
  type DesiredBackend,
  type DesiredPod,
  type DesiredState,
  podTargetPort,
} from './model/build-desired.ts';
export type { EndpointSliceLike, ObjectMetaLike, PodConditionLike, PodLike, ServiceLike } from './model/kube-types.ts';
export { containersReady, hasExited, hasReadinessGate, isTerminating } from './model/pod-state.ts';
export { selectorMatches } from './model/selector.ts';
export { type Protocol, type ServicePortView, type ServiceSpecView, SOURCE_RANGES_ANNOTATION, servicePortName } from './model/service.ts';
export { toServiceView, unsupportedProtocolProblems } from './model/service-view.ts';
export { applyToSet, type BackendAction, batchActions, effectiveWeight, plan, stripKey } from './plan/plan.ts';
export type {
  Backend,
  BackendHealthState,
  BackendState,
  BackendStatus,
  DrainMode,
  IpFamily,
  LoadBalancer,
  LoadBalancerIngress,
  LoadBalancerLookup,
  LoadBalancerStatus,
  Logger,
  ProviderCapabilities,
  ProviderFactory,
  ServiceFeatures,
  ServiceProblem,
  StartupContext,
} from './provider.ts';
export { backendAddressKey, backendKey } from './provider.ts';
export { Backoff, type BackoffOptions } from './queue/backoff.ts';
export { type Clock, systemClock } from './queue/clock.ts';
export { WorkQueue, type WorkQueueOptions } from './queue/work-queue.ts';
export {
  combineGates,
  conditionPatchBody,
  conditionToPatch,
  GATE_MESSAGE_HEALTHY,
  GATE_REASON_HEALTHY,
  type GateCondition,
  gateForPod,
  healthByKey,
} from './readiness/gate.ts';
