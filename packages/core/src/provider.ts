/**
 * The cloud-provider LoadBalancer contract, extended from nodes to pod backends.
 *
 * The five community methods (getLoadBalancerName, getLoadBalancer, ensureLoadBalancer,
 * updateLoadBalancer, ensureLoadBalancerDeleted) keep their meaning; backends are pods
 * (pod IP and target port) instead of nodes. getBackendHealth and capabilities are what
 * pod-direct load balancing needs on top: the readiness gate waits for real LB health, and
 * the core needs to know how a provider drains.
 *
 * Contract for every provider:
 * - inputs are read-only; a provider never mutates a Service or a backend list it is given;
 * - every call honours its AbortSignal and rejects with the signal's reason once aborted;
 * - errors are {@link RetryableError} or {@link TerminalError} with the SDK error as `cause`;
 * - everything a provider creates is tagged so ownership can be proven before a delete.
 */
import type { Protocol, ServiceSpecView } from './model/service.ts';

export type { Protocol, ServicePortView, ServiceSpecView } from './model/service.ts';

/** Where a backend is in its life on the load balancer. */
export type BackendState = 'pending' | 'registering' | 'serving' | 'draining' | 'removed';

/** Health of one backend as the load balancer reports it. */
export type BackendHealthState = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused';

/**
 * One backend the load balancer should send traffic to: a pod's IP and target port, for
 * one Service port. Identity is pod UID + IP + port (+ Service port): a new pod may reuse
 * a dead pod's IP, and must not inherit its health.
 */
export interface Backend {
  /** The Service port this backend serves (its name, or `port-<number>` when unnamed). */
  readonly servicePort: string;
  readonly ip: string;
  /** The resolved target port on the pod. */
  readonly port: number;
  readonly podUid: string;
  readonly podName: string;
  /** Relative weight; 0 means drain: no new connections, open ones continue. */
  readonly weight: number;
  /** The pod's node, when known (zonal providers need it). */
  readonly nodeName?: string;
  /** The node's `topology.kubernetes.io/zone`, when known. */
  readonly zone?: string;
  /**
   * The node's `spec.providerID` (e.g. `gce://<project>/<zone>/<instance>`), when the provider
   * asked for it ({@link ProviderCapabilities.nodeProviderIds}) and the node has one.
   */
  readonly nodeProviderId?: string;
}

/** One backend as the load balancer has it now, with its health. */
export interface BackendStatus {
  readonly servicePort: string;
  readonly ip: string;
  readonly port: number;
  /** The pod the registration was made for, when the provider can record it. */
  readonly podUid?: string;
  readonly weight: number;
  readonly health: BackendHealthState;
  /** Why the load balancer reports that health, when it says. */
  readonly reason?: string;
}

/** Ingress points of a load balancer, as written to `status.loadBalancer.ingress`. */
export interface LoadBalancerStatus {
  readonly ingress: readonly LoadBalancerIngress[];
}

export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
  /** Set by the core from the provider's capabilities, for ingress points with an `ip`. */
  readonly ipMode?: 'VIP' | 'Proxy';
  readonly ports?: readonly { readonly port: number; readonly protocol: Protocol }[];
}

/** How a provider takes a backend out of rotation while its open connections finish. */
export type DrainMode =
  /** weight 0 in place (weighted LBs): the backend stays registered with weight 0. */
  | 'weight'
  /** a native drain state in place (Azure `adminState: Down`). */
  | 'native'
  /** deregistration with a drain delay (AWS target groups, GCP NEG detach). */
  | 'deregister';

/** What a provider can do; the core plans and batches by it. */
export interface ProviderCapabilities {
  /** Backends carry relative weights other than 0 and 1. */
  readonly weights: boolean;
  /** A drained backend stays on the LB until removed (weight 0 or native drain). */
  readonly drainInPlace: boolean;
  readonly drainMode: DrainMode;
  /** The most backend changes one updateLoadBalancer call may carry. */
  readonly maxBatch: number;
  readonly protocols: readonly Protocol[];
  /** Whether getBackendHealth reports the pod UID of each registration. */
  readonly tracksPodUid: boolean;
  /**
   * What the provider enforces of what a Service may ask. The core refuses a Service whose
   * security setting is not enforced (no LB until it is fixed) and warns about the rest.
   */
  readonly honours: ServiceFeatures;
  /**
   * How clients reach the backends (Kubernetes `LoadBalancerIngress.ipMode`): `VIP` when the LB
   * keeps the destination address (kube-proxy may short-circuit in-cluster traffic to it),
   * `Proxy` when the LB terminates the connection and opens its own to the pod.
   */
  readonly ipMode: 'VIP' | 'Proxy';
  /** The LB's own health-check interval: the core reads health no more often while gates wait. */
  readonly healthCheckIntervalMs: number;
  /**
   * The provider needs each backend's node `spec.providerID` (the cloud's instance, which the
   * node name need not be): the controller then watches Nodes (RBAC: list and watch nodes) and
   * fills {@link Backend.nodeProviderId}. @default false
   */
  readonly nodeProviderIds?: boolean;
}

/** Service features a provider may or may not enforce. */
export interface ServiceFeatures {
  /** `spec.loadBalancerSourceRanges` (and the `service.beta.kubernetes.io/load-balancer-source-ranges` annotation): clients outside are refused. */
  readonly sourceRanges: boolean;
  /** `spec.loadBalancerIP`: the LB gets the address asked for. */
  readonly loadBalancerIP: boolean;
  /** `spec.sessionAffinity: ClientIP`: a client keeps reaching one backend. */
  readonly sessionAffinity: boolean;
  /** The IP families the LB can serve (frontend and backends). */
  readonly ipFamilies: readonly IpFamily[];
}

export type IpFamily = 'IPv4' | 'IPv6';

/** What getLoadBalancer returns. */
export interface LoadBalancerLookup {
  readonly exists: boolean;
  readonly status?: LoadBalancerStatus;
}

/** The provider contract. */
export interface LoadBalancer {
  /** The provider's flag value, e.g. `local` or `aws`. */
  readonly providerName: string;
  readonly capabilities: ProviderCapabilities;

  /** Pure and stable; within every vendor's name limits (AWS: 32 characters). */
  getLoadBalancerName(clusterName: string, service: ServiceSpecView): string;

  /** Whether the load balancer exists and its status; never creates anything. */
  getLoadBalancer(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<LoadBalancerLookup>;

  /** Creates or converges the whole load balancer (listeners, ports, backends). */
  ensureLoadBalancer(
    clusterName: string,
    service: ServiceSpecView,
    backends: readonly Backend[],
    signal: AbortSignal,
  ): Promise<LoadBalancerStatus>;

  /**
   * Converges the backends only (the hot path): afterwards the LB holds exactly `backends`
   * with their weights. A backend with weight 0 is drained ({@link DrainMode}).
   */
  updateLoadBalancer(
    clusterName: string,
    service: ServiceSpecView,
    backends: readonly Backend[],
    signal: AbortSignal,
  ): Promise<void>;

  /** Idempotent; deletes only what this provider created; an absent LB is success. */
  ensureLoadBalancerDeleted(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void>;

  /** Every backend on the LB for this Service, with its health. Empty when the LB is absent. */
  getBackendHealth(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<readonly BackendStatus[]>;

  /**
   * Checks the provider's own annotations and what it supports, without I/O. Each problem is
   * one sentence naming the field, the value and what is allowed. The core calls this before
   * any write, so a Service with a bad value gets a Warning event and nothing is created or
   * changed (not even Sluice's finalizer).
   */
  validate?(service: ServiceSpecView): readonly ServiceProblem[];

  /**
   * Checks, once at start, what the provider needs of its cloud and the cluster (e.g. that pod
   * addresses can be backends, that the health report answers). Each failed check is one
   * sentence (`field` names the check); the app logs them and starts all the same. Read-only.
   */
  startupChecks?(context: StartupContext, signal: AbortSignal): Promise<readonly ServiceProblem[]>;

  /** Releases clients, sockets and timers. */
  close?(): Promise<void>;
}

/** What the app knows at start that a provider's startup checks may use. */
export interface StartupContext {
  /** Addresses of some running pods of the cluster (at most 100), e.g. to check they can be backends. */
  readonly podAddresses: readonly string[];
}

/** One invalid input: the field at fault and one sentence a person can act on. */
export interface ServiceProblem {
  readonly field: string;
  readonly message: string;
}

/** What a provider package exports for the app to construct it. */
export type ProviderFactory<Options = Record<string, unknown>> = (options: Options & { readonly log?: Logger }) => LoadBalancer | Promise<LoadBalancer>

/** The logger every Sluice component takes. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to the fields of every line it writes. Optional: without it, callers add the fields to each call. */
  child?(bindings: Record<string, unknown>): Logger;
}

/** A key that identifies a backend registration: Service port, IP and port. */
export function backendAddressKey(b: { readonly servicePort: string; readonly ip: string; readonly port: number }): string {
  return `${b.servicePort}|${b.ip}|${b.port}`;
}

/**
 * A backend's identity: Service port, IP, port and pod UID. Two pods with the same address
 * are two backends; the LB holds one registration per address ({@link backendAddressKey}).
 */
export function backendKey(b: { readonly servicePort: string; readonly ip: string; readonly port: number; readonly podUid: string }): string {
  return `${b.servicePort}|${b.ip}|${b.port}|${b.podUid}`;
}
