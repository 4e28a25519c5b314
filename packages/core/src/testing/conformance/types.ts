/**
 * The shapes of the provider conformance suite: a target (one provider, and what a test may do
 * to its vendor), a case (one promise of the LoadBalancer contract), and a result (one cell of
 * the case x provider table).
 */
import type { Backend, LoadBalancer, ServiceSpecView } from '../../provider.ts';

/**
 * How getBackendHealth reports a backend after an update gave it weight 0:
 * - `weight-0`: still listed with weight 0 (a weighted LB drains in place);
 * - `draining`: still listed, health `draining` and weight 0 (Azure adminState Down, an AWS
 *   target in its deregistration delay);
 * - `absent`: no longer listed (deregistered at once, the vendor drains out of sight: a GCP
 *   NEG detach under connection draining).
 */
export type DrainReport = 'weight-0' | 'draining' | 'absent';

/**
 * A fault a target can make its vendor answer with:
 * - `throttled`: the vendor's rate limit (429 or its throttling code): retryable, reason `*Throttled`;
 * - `unavailable`: a server error (5xx): retryable, not throttled;
 * - `rejected`: a client error (4xx validation): terminal.
 */
export type FaultKind = 'throttled' | 'unavailable' | 'rejected';

/** A resource that is not the provider's, planted where the provider looks. */
export interface ForeignResource {
  /** What it is, for failure messages: `target group k8s-x (tags: team=payments)`. */
  readonly description: string;
  /** Whether it still exists. */
  exists(): boolean | Promise<boolean>;
}

/**
 * One provider instance under test, and what a test can do to its vendor. Every hook is
 * optional: a case that needs a missing hook reports n/a with the reason, or (for the write
 * counter) falls back to comparing what the provider reports.
 */
export interface ConformanceSubject {
  readonly provider: LoadBalancer;
  /**
   * Calls the vendor received so far that create, change or delete something. Cases that
   * promise "no write" compare it before and after; without it they compare state only.
   */
  vendorWrites?(): number;
  /**
   * Arms a fault: the next ensureLoadBalancer of a Service that has no load balancer fails at
   * the vendor with `kind`, once; the calls after succeed. Only kinds the target lists in
   * {@link ConformanceTarget.faults} are asked for.
   */
  injectFault?(kind: FaultKind): void | Promise<void>;
  /**
   * Plants, for a Service whose load balancer exists, something with a name the provider
   * would look at (its name, or its name prefix) that the provider does not own (other tags,
   * another cluster). Deleting the Service's load balancer must leave it.
   */
  plantForeign?(clusterName: string, service: ServiceSpecView): ForeignResource | Promise<ForeignResource>;
  /** Releases what `create` made: the provider, its clients, a test server. */
  cleanup?(): void | Promise<void>;
}

/**
 * A provider to hold to the contract. Only `name`, `drain` and `create` are required: a cloud
 * target can be as small as an SDK client pointed at a test server's endpoint
 * (`create: () => subjectOf(createAwsProvider({ clusterName, endpoint }))`).
 */
export interface ConformanceTarget {
  /** The table's column header: `aws`, `azure (ARM test server)`. */
  readonly name: string;
  /** How a drained (weight 0) backend is reported; see {@link DrainReport}. */
  readonly drain: DrainReport;
  /** Fault kinds {@link ConformanceSubject.injectFault} can arm. @default none */
  readonly faults?: readonly FaultKind[];
  /**
   * Makes the subject of one case. Called once per case; it may hand out one shared provider
   * every time, since each case uses Services of its own.
   */
  create(): ConformanceSubject | Promise<ConformanceSubject>;
  /** @default 'conformance' */
  readonly clusterName?: string;
  /**
   * A Service the provider's `validate` must refuse, made from a valid one (typically a bad
   * provider annotation; see {@link annotated}). Without it the validate case is n/a.
   */
  invalidService?(valid: ServiceSpecView): ServiceSpecView;
  /** Adjusts every Service the suite makes (e.g. a port the provider needs). */
  service?(base: ServiceSpecView): ServiceSpecView;
  /** Adjusts every backend the suite makes (e.g. a node and zone for zonal providers). */
  backend?(base: Backend): Backend;
}

/** What a case runs with: the subject and Services and backends of its own. */
export interface CaseContext {
  readonly target: ConformanceTarget;
  readonly subject: ConformanceSubject;
  readonly provider: LoadBalancer;
  readonly clusterName: string;
  /** A live signal, for every call not about aborts. */
  readonly signal: AbortSignal;
  /** A Service of this case's own (unique name and uid per case and `variant`). */
  service(variant?: string): ServiceSpecView;
  /** Backend number `i` (10.77.x.y:8080 on Service port `http`, weight 1), adjusted by the target. */
  backend(i: number, overrides?: Partial<Backend>): Backend;
}

/** One promise of the LoadBalancer contract, checked against any target. */
export interface ConformanceCase {
  /** Short and stable: `ensure-idempotent`. */
  readonly id: string;
  /** The table's row label: `ensureLoadBalancer is idempotent`. */
  readonly title: string;
  /** Why the case cannot be checked on this target, or undefined when it can. */
  notApplicable?(context: CaseContext): string | undefined;
  /** Asserts; throws on the first broken promise. */
  run(context: CaseContext): Promise<void>;
}

export type CaseStatus = 'pass' | 'fail' | 'n/a';

/** One cell of the table. */
export interface ConformanceResult {
  readonly caseId: string;
  readonly caseTitle: string;
  readonly target: string;
  readonly status: CaseStatus;
  /** The n/a reason, or the failure's message. */
  readonly detail?: string;
  /** What the failing case threw. */
  readonly error?: unknown;
  readonly durationMs: number;
}
