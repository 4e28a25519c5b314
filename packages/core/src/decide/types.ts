/**
 * The one decision of a reconcile, as a value: what {@link decide} returns, what the
 * reconciler executes (see ../apply/execute.ts) and what `sluice plan` prints. Plain data
 * apart from the view the provider calls need, so both renderings are views of one thing.
 */
import type { EndpointSliceLike, PodLike, ServiceLike } from '../model/kube-types.ts';
import type { BackendAction } from '../plan/plan.ts';
import type { Backend, BackendStatus, LoadBalancer, LoadBalancerIngress, LoadBalancerLookup, ServiceProblem, ServiceSpecView } from '../provider.ts';
import type { GateCondition } from '../readiness/gate.ts';

export interface PlanObjectRef {
  readonly kind: 'Service' | 'Pod';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What the provider says about the LB, as read this reconcile. */
export type ObservedLoadBalancer =
  /** getLoadBalancer was called. */
  | { readonly kind: 'read'; readonly lookup: LoadBalancerLookup }
  /** Not read: this process ensured it recently and the spec is unchanged (see {@link shouldReadLoadBalancer}). */
  | { readonly kind: 'trusted' };

/**
 * What a reconcile remembers between runs. Every field is a cache: the decision is correct
 * without it, and each field says what losing it (a restart, a new leadership term) costs.
 */
export interface DecideMemory {
  /**
   * When ensureLoadBalancer last ran for this Service (clock ms). Unknown after a restart:
   * then the periodic drift check waits one more period instead of writing at once.
   */
  readonly ensuredAt?: number;
  /**
   * Pod UID of each registration (address key -> UID), for providers that cannot record it.
   * Lost on restart: a registration is then attributed to the pod that claims its address.
   */
  readonly registrations?: ReadonlyMap<string, string>;
  /** When each pod's containers were first seen ready (UID -> clock ms); else its ContainersReady transition time. */
  readonly readySince?: ReadonlyMap<string, number>;
  /** Each pod's gate decision by the other Services that select it (UID -> Service key -> decision). */
  readonly otherGates?: ReadonlyMap<string, ReadonlyMap<string, GateCondition>>;
  /** Reports already made (event keys): a restart repeats each once. */
  readonly reported?: ReadonlySet<string>;
  /** Health reads in a row that found nothing changed: the poll stretches (see healthPollMs). Lost: the poll starts at its base. */
  readonly unchangedHealthReads?: number;
  /** Backends the provider refused (backend id -> message and when); retried after `rejectedRetryMs`. */
  readonly rejected?: ReadonlyMap<string, { readonly message: string; readonly at: number }>;
  /**
   * Pods whose gate this controller already patched True (True is sticky): no second True patch
   * while the pod cache has not caught up. Lost: one more True patch at most.
   */
  readonly passed?: ReadonlySet<string>;
}

export interface DecideOptions {
  readonly clusterName: string;
  /** Sluice's class: Services with it are handled. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string;
  /** Handle Services with no class too (only where no cloud controller takes them). @default false */
  readonly handleUnclassed?: boolean;
  readonly gateConditionType: string;
  /** false: the gate passes as soon as containers are ready (no protection). @default true */
  readonly gate?: boolean;
  /** false: terminating pods keep their weight until they exit (no protection). @default true */
  readonly drain?: boolean;
  /** How often health is read while a gate waits. @default the provider's `healthCheckIntervalMs` */
  readonly healthPollMs?: number;
  /** How often an unchanged LB is ensured again to repair drift made by hand. @default 300_000 */
  readonly reensureMs?: number;
  /** How long a refused backend waits before it is offered to the provider again. @default 30_000 */
  readonly rejectedRetryMs?: number;
}

/** Everything a reconcile knows. */
export interface DecideInput {
  readonly service: ServiceLike;
  /** The Service's EndpointSlices. */
  readonly slices: readonly EndpointSliceLike[];
  /** The pods the slices reference. */
  readonly pods: readonly PodLike[];
  /** The pods the Service's selector selects (known before any EndpointSlice exists). */
  readonly selectedPods: readonly PodLike[];
  /** For each pod UID, the keys of the other handled Services that select it. */
  readonly otherServicesOfPod?: ReadonlyMap<string, readonly string[]>;
  /** Node name -> `spec.providerID`, for the pods' nodes, when the provider asked for them. */
  readonly nodeProviderIds?: ReadonlyMap<string, string>;
  /** The provider's pure parts: name, capabilities, LB name and validate. */
  readonly provider: Pick<LoadBalancer, 'providerName' | 'capabilities' | 'getLoadBalancerName' | 'validate'>;
  /** undefined: not read (cleanup and invalid new Services need no read). */
  readonly lb?: ObservedLoadBalancer;
  /** getBackendHealth, as read this reconcile ([] when the LB does not exist). */
  readonly health: readonly BackendStatus[];
  readonly memory: DecideMemory;
  /** Clock ms. */
  readonly now: number;
  readonly options: DecideOptions;
}

/** A write to the load balancer itself. */
export type LoadBalancerOperation =
  /** ensureLoadBalancer on a missing LB, created with `backends` (every desired backend but drains). */
  | { readonly kind: 'create'; readonly backends: readonly Backend[]; readonly registers: readonly BackendAction[] }
  /** ensureLoadBalancer on an existing LB, with the backends it holds after the drains (minus ports that left). */
  | { readonly kind: 'ensure'; readonly reason: 'spec-changed' | 'drift-check' | 'unrecorded'; readonly backends: readonly Backend[]; readonly removedPorts: readonly string[] }
  /** ensureLoadBalancerDeleted. */
  | { readonly kind: 'delete'; readonly exists: boolean | undefined; readonly reason: string };

export type IngressChange =
  /** Write this ingress (it differs from the Service's status). */
  | { readonly kind: 'set'; readonly ingress: readonly LoadBalancerIngress[] }
  /** Write what ensureLoadBalancer returns (with `ipMode` on points with an IP), when it differs from the Service's status. */
  | { readonly kind: 'from-ensure'; readonly ipMode: 'VIP' | 'Proxy' }
  | { readonly kind: 'clear' };

export interface GatePatch {
  readonly pod: PlanObjectRef;
  readonly condition: GateCondition;
  /** The strategic-merge body for pods/status. */
  readonly body: object;
  /** The patch passes the gate: how long the pod waited (for metrics). */
  readonly passedAfterMs?: number;
}

export interface PlannedEvent {
  readonly object: PlanObjectRef;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** 'start': before any write; 'end': after them. */
  readonly when: 'start' | 'end';
  /** Remember this report (see {@link DecideMemory.reported}) once made. */
  readonly reportKey?: string;
  /** A gate stuck report: how long it has waited (for metrics). */
  readonly stuckMs?: number;
}

export type NextStep =
  | { readonly kind: 'done' }
  | { readonly kind: 'requeue'; readonly afterMs: number; readonly why: string }
  /** Bad input: reported, not retried until the input changes. */
  | { readonly kind: 'terminal'; readonly message: string; readonly field?: string };

export type PlanMode =
  /** Converge the LB to the Service. */
  | 'sync'
  /** The Service is being deleted or is no longer Sluice's: delete the LB, release the finalizer. */
  | 'cleanup'
  /** The Service has problems: nothing is created or changed; an existing LB still drains. */
  | 'invalid'
  /** Not Sluice's and no finalizer: nothing to do. */
  | 'ignore';

export interface ServicePlan {
  /** `namespace/name`. */
  readonly key: string;
  readonly service: PlanObjectRef;
  /** The provider's name for the Service's LB. */
  readonly loadBalancer: string;
  readonly mode: PlanMode;
  /** Service-level problems (mode `invalid`). */
  readonly problems: readonly ServiceProblem[];
  /** The view every provider call of this plan takes. */
  readonly view: ServiceSpecView;
  /** Finalizers to set before the LB is created (`add`) or after it is deleted (`remove`). */
  readonly finalizers?: { readonly kind: 'add' | 'remove'; readonly value: readonly string[]; readonly resourceVersion: string };
  /** What the LB holds now, as backends: the set the first write starts from. */
  readonly holding: readonly Backend[];
  /** Drains, applied first and on their own. */
  readonly drains: readonly BackendAction[];
  readonly loadBalancerOp?: LoadBalancerOperation;
  /** Registrations, reweights, removals, after the LB operation, in order. */
  readonly backends: readonly BackendAction[];
  /** The applied-spec digest to record on the Service once the LB operation succeeded. */
  readonly appliedSpec?: string;
  readonly ingress?: IngressChange;
  /** The Service's ingress status as read, for comparing what ensureLoadBalancer returns. */
  readonly currentIngress: readonly LoadBalancerIngress[];
  readonly gates: readonly GatePatch[];
  /** Each live pod's gate decision on this Service (UID -> decision), for the other Services' decisions. */
  readonly gateDecisions: ReadonlyMap<string, GateCondition>;
  readonly events: readonly PlannedEvent[];
  /**
   * Backends this plan removes that were never drained although their pod is gone or has
   * exited (deleted with no grace, or gone before Sluice saw it terminate): each may have cut
   * open connections. Reported as a metric once the removal is made.
   */
  readonly drainsMissed: readonly { readonly podUid: string; readonly address: string }[];
  readonly next: NextStep;
}
