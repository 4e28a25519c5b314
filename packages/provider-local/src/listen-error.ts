/**
 * Classifies a failure to bind a Service port's listener, as one sentence naming the
 * Service, the port and the listen address. Whether a retry can help decides the class:
 * a port held by someone else may be freed (RetryableError), a privileged port or a listen
 * address this host does not have will not change by itself (TerminalError).
 */
import { errorMessage, RetryableError, type SluiceError, TerminalError } from '@sluice/core';
import { hostPort } from '@sluice/dataplane';

export interface ListenTarget {
  /** `namespace/name` of the Service. */
  readonly service: string;
  readonly portName: string;
  /** The Service port number (the port the listener must bind). */
  readonly port: number;
  /** Its index in the Service's ports, for the field path. */
  readonly index: number;
  /** The listen address (the `address` option). */
  readonly address: string;
}

export function listenError(target: ListenTarget, error: unknown): SluiceError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `The local load balancer cannot listen on ${hostPort(target.address, target.port)} for Service ${target.service} port ${target.portName}`;
  const field = `spec.ports[${target.index}].port`;
  switch (code) {
    case 'EADDRINUSE':
      return new RetryableError(
        `${where}: the port is in use by another listener (another Service or program); choose a free port.`,
        { cause: error, field, reason: 'PortInUse' },
      );
    case 'EACCES':
      return new TerminalError(
        `${where}: port ${target.port} is privileged, and ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; choose a port from 1024 up or grant the controller that capability.`,
        { cause: error, field, reason: 'PortNotPermitted' },
      );
    case 'EADDRNOTAVAIL':
    case 'EINVAL':
    case 'ENOTFOUND':
      return new TerminalError(`${where}: ${target.address} is not an address of this host (${code}); set the address option to one.`, {
        cause: error,
        field: 'address',
        reason: 'InvalidListenAddress',
      });
    default:
      // EMFILE, ENOBUFS and the like: the host may recover.
      return new RetryableError(`${where}: ${errorMessage(error)}.`, { cause: error, field, reason: 'ListenFailed' });
  }
}
