/**
 * The read-only view of a Service that providers receive. It carries what a provider
 * needs (identity, ports, annotations, class) and nothing from the Kubernetes client, so
 * providers do not depend on @kubernetes/client-node.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortView {
  /** The port's name, or `port-<number>` when the Service leaves it unnamed. */
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** The Service's targetPort as written: a number or a container port name. */
  readonly targetPort: number | string;
}

export interface ServiceSpecView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly ports: readonly ServicePortView[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly loadBalancerClass?: string;
  /** `spec.loadBalancerSourceRanges`, when set. */
  readonly sourceRanges?: readonly string[];
}

/** The name Sluice uses for a Service port: its name, or `port-<number>` when unnamed. */
export function servicePortName(port: { readonly name?: string; readonly port: number }): string {
  return port.name && port.name.length > 0 ? port.name : `port-${port.port}`;
}
