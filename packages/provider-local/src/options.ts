/**
 * Options of the local provider and the one place their defaults are filled in.
 */
import { type Logger, TerminalError } from '@sluice/core';
import { type AddressRange, parseRange } from './address-range.ts';

/** An opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The timers the provider schedules health checks and connect timeouts with. Injected so
 * tests can drive health checks by hand; the default unrefs every timer so a pending
 * check never keeps the process alive.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface LocalProviderOptions {
  /**
   * The address listeners bind to.
   * @default '127.0.0.1'
   */
  readonly address?: string;
  /**
   * The ingress IP written to the Service status, for when clients reach the listeners
   * through another address (a NAT, a port forward).
   * @default the value of `address`
   */
  readonly advertiseAddress?: string;
  /**
   * Time between the end of one health check of a backend and the start of the next.
   * @default 1000
   */
  readonly intervalMs?: number;
  /**
   * How long a health check may take to connect before it counts as a failure.
   * @default 1000
   */
  readonly timeoutMs?: number;
  /**
   * Consecutive successful checks that make a backend `healthy`.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Consecutive failed checks (or failed proxy connects) that make a backend `unhealthy`.
   * @default 2
   */
  readonly unhealthyThreshold?: number;
  /**
   * Extra attempts on other backends when connecting a client's connection to a backend
   * fails before any byte was sent to it.
   * @default 2
   */
  readonly connectRetries?: number;
  /**
   * How long the proxy waits for a backend to accept a connection before trying another.
   * @default the value of `timeoutMs`
   */
  readonly connectTimeoutMs?: number;
  /**
   * The address ranges backends may be in, as IPv4 or IPv6 CIDRs (`10.244.0.0/16`,
   * `fd00:10:244::/56`): typically the pod network. A backend outside every range is
   * refused with a BackendRejectedError and the call changes nothing, as a cloud refuses a
   * target outside its VPC; an EndpointSlice can be written by hand with any address, and
   * without a list the load balancer proxies to wherever it says (the node's loopback, a
   * metadata service). Unspecified, multicast and broadcast addresses are refused either way.
   * @default undefined: any unicast address
   */
  readonly backendCidrs?: readonly string[];
  /**
   * Where the provider logs listener addresses, health transitions and retries.
   * @default a logger that discards everything
   */
  readonly log?: Logger;
  /**
   * Timers for health checks and connect timeouts.
   * @default the global timers, unref'd
   */
  readonly timers?: Timers;
}

/** {@link LocalProviderOptions} with every default filled in and `backendCidrs` parsed. */
export type ResolvedLocalProviderOptions = Required<Omit<LocalProviderOptions, 'backendCidrs'>> & {
  /** The ranges of `backendCidrs`, in its order; undefined allows any unicast address. */
  readonly backendRanges: readonly AddressRange[] | undefined;
};

const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const unrefTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Fills in the defaults; rejects values that cannot work, naming the option. */
export function resolveOptions(options: LocalProviderOptions = {}): ResolvedLocalProviderOptions {
  const address = options.address ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 1000;
  const resolved: ResolvedLocalProviderOptions = {
    address,
    advertiseAddress: options.advertiseAddress ?? address,
    intervalMs: options.intervalMs ?? 1000,
    timeoutMs,
    healthyThreshold: options.healthyThreshold ?? 2,
    unhealthyThreshold: options.unhealthyThreshold ?? 2,
    connectRetries: options.connectRetries ?? 2,
    connectTimeoutMs: options.connectTimeoutMs ?? timeoutMs,
    log: options.log ?? silentLogger,
    timers: options.timers ?? unrefTimers,
    backendRanges: options.backendCidrs === undefined ? undefined : parseBackendCidrs(options.backendCidrs),
  };
  requireInteger('intervalMs', resolved.intervalMs, 1);
  requireInteger('timeoutMs', resolved.timeoutMs, 1);
  requireInteger('healthyThreshold', resolved.healthyThreshold, 1);
  requireInteger('unhealthyThreshold', resolved.unhealthyThreshold, 1);
  requireInteger('connectRetries', resolved.connectRetries, 0);
  requireInteger('connectTimeoutMs', resolved.connectTimeoutMs, 1);
  return resolved;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TerminalError(`Local provider option ${name} is ${value}, but it must be an integer of at least ${min}.`, {
      field: name,
    });
  }
}

const CIDR_ALLOWED = 'allowed are IPv4 and IPv6 CIDRs such as 10.244.0.0/16 or fd00:10:244::/56';

function parseBackendCidrs(cidrs: readonly string[]): AddressRange[] {
  if (!Array.isArray(cidrs) || cidrs.length === 0) {
    throw new TerminalError(
      `Local provider option backendCidrs is ${JSON.stringify(cidrs)}, but it must list at least one CIDR (${CIDR_ALLOWED}); leave it unset to allow any unicast address.`,
      { field: 'backendCidrs' },
    );
  }
  return cidrs.map((text, index) => {
    const parsed = typeof text === 'string' ? parseRange(text) : { problem: 'it is not a string' };
    if ('range' in parsed) return parsed.range;
    throw new TerminalError(
      `Local provider option backendCidrs[${index}] is ${JSON.stringify(text)}, which is invalid because ${parsed.problem}: ${CIDR_ALLOWED}.`,
      { field: `backendCidrs[${index}]` },
    );
  });
}
