/**
 * Input checks that run before the provider changes anything, so a bad Service or backend
 * list is rejected whole and never half applied.
 *
 * Three kinds: `validateService` is the provider's `validate` (pure problems the core reports
 * before any write); `validateServicePorts` and `validateBackends` throw a TerminalError for
 * input no retry can fix; `rejectBackendAddresses` throws a BackendRejectedError listing
 * every backend whose address the load balancer will not proxy to, so the core can take
 * exactly those out and send the rest again.
 */
import {
  type Backend,
  BackendRejectedError,
  backendKey,
  type ServiceProblem,
  type ServiceSpecView,
  TerminalError,
} from '@sluice/core';
import { type AddressRange, hostPort, nonUnicastKind, parseAddress, rangeContains } from '@sluice/dataplane';

/** The largest weight the data plane takes (the core's pod weights go up to 1000). */
export const MAX_WEIGHT = 1_000_000;

/** The prefix of the local provider's Service annotations; it reads none today. */
export const LOCAL_ANNOTATION_PREFIX = 'sluice.dev/local-';

interface PortProblem extends ServiceProblem {
  readonly reason: string;
}

/**
 * What `validate(service)` reports: every `sluice.dev/local-*` annotation (the provider
 * reads none, so each one is a typo or a key meant for another provider) and port numbers
 * the provider cannot listen on. Protocols are left out on purpose: the core already
 * reports every port whose protocol is not in `capabilities.protocols`, and a second
 * sentence about the same port would only repeat it.
 */
export function validateService(service: ServiceSpecView): ServiceProblem[] {
  const problems: ServiceProblem[] = [];
  for (const key of Object.keys(service.annotations ?? {})) {
    if (!key.startsWith(LOCAL_ANNOTATION_PREFIX)) continue;
    problems.push({
      field: `metadata.annotations[${key}]`,
      message: `Service ${service.namespace}/${service.name} annotation ${key} is not a local provider annotation: the local provider reads no ${LOCAL_ANNOTATION_PREFIX}* annotations.`,
    });
  }
  for (const { field, message } of portNumberProblems(service)) problems.push({ field, message });
  return problems;
}

/**
 * Throws a TerminalError naming a Service port the provider cannot carry (protocol problems
 * first): a protocol other than TCP, a number outside 0-65535 (0 takes any free port), or
 * a number another TCP port of the Service already uses (two listeners cannot share it).
 */
export function validateServicePorts(service: ServiceSpecView): void {
  const [first] = [...protocolProblems(service), ...portNumberProblems(service)];
  if (first !== undefined) throw new TerminalError(first.message, { field: first.field, reason: first.reason });
}

/** Throws a TerminalError naming the first backend whose IP, weight or port is malformed. */
export function validateBackends(backends: readonly Backend[]): void {
  backends.forEach((backend, index) => {
    if (parseAddress(backend.ip) === undefined) {
      throw new TerminalError(
        `Backend of pod ${backend.podName} has IP "${backend.ip}", but an IP must be an IPv4 or IPv6 address without a zone.`,
        { field: `backends[${index}].ip`, reason: 'InvalidBackend' },
      );
    }
    if (!Number.isSafeInteger(backend.weight) || backend.weight < 0 || backend.weight > MAX_WEIGHT) {
      throw new TerminalError(
        `Backend ${backend.ip}:${backend.port} of pod ${backend.podName} has weight ${backend.weight}, but a weight must be a whole number from 0 to ${MAX_WEIGHT}.`,
        { field: `backends[${index}].weight`, reason: 'InvalidBackend' },
      );
    }
    if (!Number.isInteger(backend.port) || backend.port < 1 || backend.port > 65535) {
      throw new TerminalError(
        `Backend ${backend.ip} of pod ${backend.podName} has port ${backend.port}, but a port must be an integer from 1 to 65535.`,
        { field: `backends[${index}].port`, reason: 'InvalidBackend' },
      );
    }
  });
}

/**
 * Throws a BackendRejectedError listing every backend the load balancer will not proxy to:
 * an unspecified, multicast or broadcast address always, and, when `ranges` is set, an
 * address outside every range. Run after {@link validateBackends}, so every IP parses.
 */
export function rejectBackendAddresses(
  service: Pick<ServiceSpecView, 'namespace' | 'name'>,
  backends: readonly Backend[],
  ranges: readonly AddressRange[] | undefined,
): void {
  const refused = refusedBackends(service, backends, ranges);
  if (refused.length === 0) return;
  const listed = refused.slice(0, 5).map(({ backend }) => `pod ${backend.podName} at ${hostPort(backend.ip, backend.port)}`);
  if (refused.length > listed.length) listed.push(`${refused.length - listed.length} more`);
  const what = refused.length === 1 ? 'a backend whose address' : `${refused.length} backends whose addresses`;
  throw new BackendRejectedError(
    `The local load balancer of Service ${service.namespace}/${service.name} changed nothing: it refused ${what} it does not proxy to (${listed.join(', ')}).`,
    refused.map(({ backend, message }) => ({ key: backendKey(backend), message })),
    { field: 'backends' },
  );
}

/** Every refused backend with its one-sentence reason, in input order. */
function refusedBackends(
  service: Pick<ServiceSpecView, 'namespace' | 'name'>,
  backends: readonly Backend[],
  ranges: readonly AddressRange[] | undefined,
): { readonly backend: Backend; readonly message: string }[] {
  const allowed =
    ranges === undefined
      ? 'unicast addresses'
      : `unicast addresses in ${ranges.map((r) => r.text).join(', ')} (option backendCidrs)`;
  return backends.flatMap((backend) => {
    const address = parseAddress(backend.ip);
    if (address === undefined) return []; // malformed: validateBackends reports it
    const kind = nonUnicastKind(address);
    const outside = ranges !== undefined && !ranges.some((range) => rangeContains(range, address));
    if (kind === undefined && !outside) return [];
    const message = `Backend ${hostPort(backend.ip, backend.port)} of pod ${service.namespace}/${backend.podName} is ${kind ?? 'outside the allowed ranges'}: the local load balancer proxies only to ${allowed}.`;
    return [{ backend, message }];
  });
}

function protocolProblems(service: ServiceSpecView): PortProblem[] {
  return service.ports.flatMap((port, index) =>
    port.protocol === 'TCP'
      ? []
      : [
          {
            field: `spec.ports[${index}].protocol`,
            message: `Service ${service.namespace}/${service.name} port "${port.name}" (${port.port}/${port.protocol}) uses protocol ${port.protocol}, but the local provider supports TCP only.`,
            reason: 'UnsupportedProtocol',
          },
        ],
  );
}

function portNumberProblems(service: ServiceSpecView): PortProblem[] {
  const problems: PortProblem[] = [];
  const firstByNumber = new Map<number, string>();
  service.ports.forEach((port, index) => {
    const field = `spec.ports[${index}].port`;
    const id = `Service ${service.namespace}/${service.name} ${field}=${port.port}`;
    if (!Number.isInteger(port.port) || port.port < 0 || port.port > 65535) {
      problems.push({
        field,
        message: `${id} is invalid: allowed is a whole number from 1 to 65535 (0 takes any free port).`,
        reason: 'InvalidPort',
      });
      return;
    }
    if (port.protocol !== 'TCP' || port.port === 0) return;
    const first = firstByNumber.get(port.port);
    if (first === undefined) {
      firstByNumber.set(port.port, port.name);
      return;
    }
    problems.push({
      field,
      message: `${id} is invalid: port "${first}" already uses ${port.port}, and the local load balancer opens one listener per TCP port number.`,
      reason: 'DuplicatePort',
    });
  });
  return problems;
}
