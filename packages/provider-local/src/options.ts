/**
 * Options of the local provider and the one place their defaults are filled in.
 */
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type Logger, TerminalError } from '@sluice/core';
import { type AddressRange, type DataPlane, parseRange, type Timers } from '@sluice/dataplane';

export type { TimerHandle, Timers } from '@sluice/dataplane';

/** Where the load balancers' engine runs; see {@link LocalProviderOptions.dataplane}. */
export type DataPlaneMode = 'process' | 'embedded';
export const DATA_PLANE_MODES: readonly DataPlaneMode[] = ['process', 'embedded'];

export interface LocalProviderOptions {
  /**
   * Where the L4 engine (`@sluice/dataplane`) that carries the traffic runs:
   * - `'process'`: a `sluice-dataplane` process serving its control API on
   *   {@link dataplaneSocket}. The provider connects to it; when nothing answers there, it
   *   starts one, detached in its own process group, so it outlives the controller. Closing
   *   the provider disconnects and leaves it serving: a controller that crashes or restarts
   *   drops no connection, and the next one adopts the load balancers it finds there. An
   *   engine that died is started again by the next call that changes a load balancer (an
   *   empty engine reports no load balancer, so the controller ensures them again).
   *   Whoever runs the controller stops the engine (SIGTERM) when it is no longer wanted.
   * - `'embedded'`: the engine inside this process; it dies with it, and so do its listeners.
   * - a {@link DataPlane}: program this one (tests, embedding); the caller owns it.
   * @default 'process'
   */
  readonly dataplane?: DataPlaneMode | DataPlane;
  /**
   * The control socket of the `'process'` engine. Its directory is created (mode 0700) when
   * missing; the engine appends its log lines to `dataplane.log` next to it.
   * @default `$XDG_RUNTIME_DIR/sluice/dataplane.sock`, else `<os.tmpdir()>/sluice-<uid>/dataplane.sock`
   */
  readonly dataplaneSocket?: string;
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
   * Timers for health checks and connect timeouts of the `'embedded'` engine (inject them to
   * drive checks by hand in tests).
   * @default the global timers, unref'd
   */
  readonly timers?: Timers;
}

/** {@link LocalProviderOptions} with every default filled in and `backendCidrs` parsed. */
export type ResolvedLocalProviderOptions = Required<Omit<LocalProviderOptions, 'backendCidrs' | 'timers'>> & {
  /** The ranges of `backendCidrs`, in its order; undefined allows any unicast address. */
  readonly backendRanges: readonly AddressRange[] | undefined;
  /** Undefined: the engine's own default timers. */
  readonly timers: Timers | undefined;
};

/**
 * The default control socket of the `'process'` engine: one per user, in the user's runtime
 * directory when there is one (cleared at logout, private to the user), else in a
 * per-user directory under the temporary directory.
 */
export function defaultDataPlaneSocket(
  env: Readonly<Record<string, string | undefined>> = process.env,
  temporaryDirectory: string = tmpdir(),
  uid: number | undefined = process.getuid?.(),
): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && isAbsolute(runtime)) return join(runtime, 'sluice', 'dataplane.sock');
  return join(temporaryDirectory, `sluice-${uid ?? 'user'}`, 'dataplane.sock');
}

const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
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
    timers: options.timers,
    dataplane: options.dataplane ?? 'process',
    dataplaneSocket: options.dataplaneSocket ?? defaultDataPlaneSocket(),
    backendRanges: options.backendCidrs === undefined ? undefined : parseBackendCidrs(options.backendCidrs),
  };
  // The data plane's limits: durations fit a timer, thresholds and retries are at most 100.
  requireInteger('intervalMs', resolved.intervalMs, 1, MAX_TIMER_MS);
  requireInteger('timeoutMs', resolved.timeoutMs, 1, MAX_TIMER_MS);
  requireInteger('healthyThreshold', resolved.healthyThreshold, 1, 100);
  requireInteger('unhealthyThreshold', resolved.unhealthyThreshold, 1, 100);
  requireInteger('connectRetries', resolved.connectRetries, 0, 100);
  requireInteger('connectTimeoutMs', resolved.connectTimeoutMs, 1, MAX_TIMER_MS);
  const mode = resolved.dataplane;
  if (typeof mode === 'string' ? !DATA_PLANE_MODES.includes(mode) : typeof mode !== 'object' || mode === null) {
    throw new TerminalError(
      `Local provider option dataplane is ${JSON.stringify(mode)}, but it must be ${DATA_PLANE_MODES.map((m) => `"${m}"`).join(' or ')} (or a DataPlane to program).`,
      { field: 'dataplane' },
    );
  }
  const socket = resolved.dataplaneSocket;
  if (typeof socket !== 'string' || !isAbsolute(socket) || Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    throw new TerminalError(
      `Local provider option dataplaneSocket is ${JSON.stringify(socket)}, but it must be an absolute path of at most ${MAX_SOCKET_PATH_BYTES} bytes (a UNIX socket path), such as /run/sluice/dataplane.sock.`,
      { field: 'dataplaneSocket' },
    );
  }
  return resolved;
}

/** sockaddr_un.sun_path holds 108 bytes on Linux, the last one the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const MAX_TIMER_MS = 2 ** 31 - 1;

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TerminalError(`Local provider option ${name} is ${value}, but it must be an integer from ${min} to ${max}.`, {
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
