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
  /**
   * The client ranges allowed: `spec.loadBalancerSourceRanges`, else the
   * `service.beta.kubernetes.io/load-balancer-source-ranges` annotation (comma-separated), as
   * Kubernetes reads them; unset when neither is.
   */
  readonly sourceRanges?: readonly string[];
  /** `spec.loadBalancerIP`, when set. */
  readonly loadBalancerIP?: string;
  /** `spec.sessionAffinity`, when not `None`. */
  readonly sessionAffinity?: string;
  /** `spec.ipFamilies` (the first is the primary family). @default ['IPv4'] when unset */
  readonly ipFamilies?: readonly ('IPv4' | 'IPv6')[];
}

/** The annotation older clusters use for source ranges; `spec.loadBalancerSourceRanges` wins when both are set. */
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/** The name Sluice uses for a Service port: its name, or `port-<number>` when unnamed. */
export function servicePortName(port: { readonly name?: string; readonly port: number }): string {
  return port.name && port.name.length > 0 ? port.name : `port-${port.port}`;
}
