/**
 * What a caller programs into the data plane. Every duration is in the vendor's units
 * (milliseconds as the vendor documents them); the engine multiplies it by the time scale
 * when it runs, so a 10 s interval stays `10000` here and runs as 1 s under `timeScale: 0.1`.
 *
 * The `Resolved*` types are the same specs with every default filled in, as
 * `state()` reports them.
 */

/** An address traffic is sent from, as the firewall judges it. */
export interface TrafficSource {
  /**
   * Bound as the socket's local address (net.connect `localAddress`), so real firewalls
   * and the backend see it too; must be an address of this host.
   * @default unset: the operating system chooses, and the firewall model sees no address
   *   for health checks (only `tags` can match) and the listener's address for proxied traffic
   */
  readonly address?: string;
  /** Labels the firewall can match in a rule's `source.tags` (e.g. `AzureLoadBalancer`). @default [] */
  readonly tags?: readonly string[];
}

export interface ListenerSpec {
  /** Unique among listeners; putting a listener with an existing name updates it. */
  readonly name: string;
  /** The local address to bind. @default '127.0.0.1' */
  readonly address?: string;
  /** The TCP port to bind, exactly; 0 binds an ephemeral port (reported in the listener's state). */
  readonly port: number;
  /** The target group new connections are forwarded to; it must exist. */
  readonly targetGroup: string;
  /**
   * Client CIDRs served (IPv4 and IPv6); a client outside them is reset at accept.
   * @default [] (every client)
   */
  readonly sourceRanges?: readonly string[];
  /** Labels the firewall can match in a `to-listener` rule's `destination.tags`. @default [] */
  readonly tags?: readonly string[];
}

/**
 * How a target leaves the group.
 * - `weight0`: the caller drains by setting the target's weight to 0 (no new connections,
 *   open ones continue); deregistering removes the target at once and leaves its open
 *   connections alone. The embedded provider's semantics.
 * - `deregister` (AWS target groups): a deregistered target is `draining` for `delayMs`,
 *   gets no new connections, then is removed; at that moment its open connections are
 *   closed when `terminateOnExpiry` (AWS `deregistration_delay.connection_termination.enabled`),
 *   else left to finish.
 * - `detach` (GCP NEG detach under `connectionDraining.drainingTimeoutSec`): a detached
 *   target gets no new connections; it is removed once its last connection closes, and at
 *   `drainingTimeoutMs` at the latest, closing what is still open.
 */
export type DrainSpec =
  | { readonly mode: 'weight0' }
  | {
      readonly mode: 'deregister';
      /** @default 300000 (the AWS default of 300 s) */
      readonly delayMs?: number;
      /** @default false */
      readonly terminateOnExpiry?: boolean;
    }
  | {
      readonly mode: 'detach';
      /** @default 0 (GCP's default: no draining) */
      readonly drainingTimeoutMs?: number;
    };

export type ProxyProtocolVersion = 'none' | 'v1' | 'v2';

export interface TargetGroupSpec {
  /** Unique among target groups; putting a group with an existing name updates its settings, keeping its targets. */
  readonly name: string;
  /** @default { mode: 'weight0' } */
  readonly drain?: DrainSpec;
  /**
   * When no target is healthy, route to every registered target that is not draining
   * (AWS NLB fail-open); otherwise (fail-closed) such a client connection is reset.
   * @default false
   */
  readonly failOpen?: boolean;
  /**
   * How long a newly registered target stays `initial` before it is health checked or routed
   * to (a cloud's registration latency).
   * @default 0
   */
  readonly registrationDelayMs?: number;
  /**
   * Extra attempts on other targets when connecting to a target fails before any byte was
   * sent to it (clouds do not retry; the embedded provider retries twice).
   * @default 0
   */
  readonly connectRetries?: number;
  /** How long a connect to a target may take before it counts as failed. @default 10000 */
  readonly connectTimeoutMs?: number;
  /**
   * Count failed connects to a target like failed health checks (passive health), as the
   * embedded provider does.
   * @default false
   */
  readonly countConnectFailures?: boolean;
  /** The PROXY protocol header written to the target before the client's bytes. @default 'none' */
  readonly proxyProtocol?: ProxyProtocolVersion;
  /**
   * Client IP preservation. A user-space proxy cannot send from the client's address
   * (that needs IP_TRANSPARENT and privileges), so the data plane models it: the firewall
   * judges LB->target traffic by the client's address instead of the LB's. The target still
   * sees the LB's address on the socket; use `proxyProtocol` to tell it the client's.
   * @default false
   */
  readonly preserveClientIp?: boolean;
  /** Where connections to targets come from. @default {} */
  readonly proxySource?: TrafficSource;
  /**
   * How long a proxied connection may carry no byte either way before the load balancer
   * forgets its flow (Azure: the rule's idle timeout, 4-100 minutes).
   * @default never
   */
  readonly idleTimeoutMs?: number;
  /**
   * What an idle timeout does: `reset` sends a TCP RST to both sides (Azure's TCP reset on
   * idle); `drop` forgets the flow silently, so neither side hears anything more: their next
   * bytes go unanswered.
   * @default 'drop'
   */
  readonly idleAction?: IdleAction;
}

export type IdleAction = 'reset' | 'drop';

export interface HealthCheckSpec {
  /** @default 'tcp' */
  readonly protocol?: 'tcp' | 'http';
  /** The port checked. @default the target's port */
  readonly port?: number;
  /** HTTP only: the request path. @default '/' */
  readonly path?: string;
  /** HTTP only: the Host header. @default the target's ip:port */
  readonly host?: string;
  /**
   * HTTP only: the status codes that count as healthy, AWS style: `"200"`, `"200-399"`,
   * `"200,202,300-302"`.
   * @default '200-399'
   */
  readonly matcher?: string;
  /** Time from the end of one check of a target to the start of the next. @default 10000 */
  readonly intervalMs?: number;
  /** How long a check may take. @default 5000 */
  readonly timeoutMs?: number;
  /** Consecutive successes that make a target `healthy`. @default 3 */
  readonly healthyThreshold?: number;
  /** Consecutive failures that make a target `unhealthy`. @default 3 */
  readonly unhealthyThreshold?: number;
  /** Where checks come from (bound as the probe's local address; judged by the firewall). @default {} */
  readonly source?: TrafficSource;
}

/**
 * Azure's `adminState`: `down` takes no new flows but keeps established ones, `up` takes
 * new flows whatever the probe says, `none` follows the probe.
 */
export type AdminState = 'none' | 'up' | 'down';

export interface TargetSpec {
  readonly ip: string;
  readonly port: number;
  /** Share of new connections (smooth weighted round-robin); 0 drains in place. @default 1 */
  readonly weight?: number;
  /** @default 'none' */
  readonly adminState?: AdminState;
  /** Labels the firewall can match in a `to-target` rule's `destination.tags`. @default [] */
  readonly tags?: readonly string[];
  /**
   * What is behind the address (a pod UID). Registering the same ip:port with another value
   * is a new registration: the old one leaves by the drain mode, the new one starts `initial`.
   * @default ''
   */
  readonly registration?: string;
}

/** A target by its address, for deregistration. */
export interface TargetRef {
  readonly ip: string;
  readonly port: number;
}

export interface ResolvedTrafficSource {
  readonly address: string | undefined;
  readonly tags: readonly string[];
}

export interface ResolvedListenerSpec {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly targetGroup: string;
  readonly sourceRanges: readonly string[];
  readonly tags: readonly string[];
}

export type ResolvedDrainSpec =
  | { readonly mode: 'weight0' }
  | { readonly mode: 'deregister'; readonly delayMs: number; readonly terminateOnExpiry: boolean }
  | { readonly mode: 'detach'; readonly drainingTimeoutMs: number };

export interface ResolvedTargetGroupSpec {
  readonly name: string;
  readonly drain: ResolvedDrainSpec;
  readonly failOpen: boolean;
  readonly registrationDelayMs: number;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly countConnectFailures: boolean;
  readonly proxyProtocol: ProxyProtocolVersion;
  readonly preserveClientIp: boolean;
  readonly proxySource: ResolvedTrafficSource;
  /** Undefined: connections never time out idle. */
  readonly idleTimeoutMs: number | undefined;
  readonly idleAction: IdleAction;
}

export interface ResolvedHealthCheckSpec {
  readonly protocol: 'tcp' | 'http';
  /** Undefined: the target's port. */
  readonly port: number | undefined;
  readonly path: string;
  readonly host: string | undefined;
  readonly matcher: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly source: ResolvedTrafficSource;
}

export interface ResolvedTargetSpec {
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  readonly adminState: AdminState;
  readonly tags: readonly string[];
  readonly registration: string;
}
