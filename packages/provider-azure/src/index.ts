/**
 * @sluice/provider-azure: Sluice on Standard Load Balancer IP-based backend pools.
 *
 * This release ships the package shape only: the factory is selectable with
 * `--provider azure` and loads by dynamic import, but it refuses to start, with one
 * sentence saying so, until the Azure implementation lands (issue 5).
 */
import { type LoadBalancer, type Logger, TerminalError } from '@sluice/core';

/** Options of the azure provider. */
export interface AzureProviderOptions {
  /** Names the cluster in resource names and ownership tags. */
  readonly clusterName: string;
  readonly log?: Logger;
}

/** Always throws a {@link TerminalError} in this release: the azure provider cannot start yet. */
export function createAzureProvider(options: AzureProviderOptions): LoadBalancer {
  throw new TerminalError(
    `--provider azure cannot start: @sluice/provider-azure ${VERSION} has no Standard Load Balancer IP-based backend pools support yet (cluster ${options.clusterName}); use --provider local.`,
    { field: '--provider', reason: 'ProviderUnavailable' },
  );
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
