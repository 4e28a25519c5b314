/**
 * @sluice/provider-gcp: Sluice on zonal GCE_VM_IP_PORT NEGs.
 *
 * This release ships the package shape only: the factory is selectable with
 * `--provider gcp` and loads by dynamic import, but it refuses to start, with one
 * sentence saying so, until the Gcp implementation lands (issue 6).
 */
import { type LoadBalancer, type Logger, TerminalError } from '@sluice/core';

/** Options of the gcp provider. */
export interface GcpProviderOptions {
  /** Names the cluster in resource names and ownership tags. */
  readonly clusterName: string;
  readonly log?: Logger;
}

/** Always throws a {@link TerminalError} in this release: the gcp provider cannot start yet. */
export function createGcpProvider(options: GcpProviderOptions): LoadBalancer {
  throw new TerminalError(
    `--provider gcp cannot start: @sluice/provider-gcp ${VERSION} has no zonal GCE_VM_IP_PORT NEGs support yet (cluster ${options.clusterName}); use --provider local.`,
    { field: '--provider', reason: 'ProviderUnavailable' },
  );
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
