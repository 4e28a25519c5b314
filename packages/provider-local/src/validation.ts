/**
 * Input checks that run before the provider changes anything, so a bad Service or backend
 * list is rejected whole and never half applied.
 */
import { type Backend, type ServiceSpecView, TerminalError } from '@sluice/core';

/** Throws a TerminalError naming the first Service port whose protocol is not TCP. */
export function validateServicePorts(service: ServiceSpecView): void {
  service.ports.forEach((port, index) => {
    if (port.protocol === 'TCP') return;
    throw new TerminalError(
      `Service ${service.namespace}/${service.name} port "${port.name}" (${port.port}/${port.protocol}) uses protocol ${port.protocol}, but the local provider supports TCP only.`,
      { field: `spec.ports[${index}].protocol`, reason: 'UnsupportedProtocol' },
    );
  });
}

/** Throws a TerminalError naming the first backend whose weight or port cannot be used. */
export function validateBackends(backends: readonly Backend[]): void {
  backends.forEach((backend, index) => {
    if (!Number.isFinite(backend.weight) || backend.weight < 0) {
      throw new TerminalError(
        `Backend ${backend.ip}:${backend.port} of pod ${backend.podName} has weight ${backend.weight}, but a weight must be a finite number of at least 0.`,
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
