/**
 * @sluice/provider-aws: Sluice on ELBv2 Network Load Balancers with IP targets.
 *
 * This release ships the package shape only: the factory is selectable with
 * `--provider aws` and loads by dynamic import, but it refuses to start, with one
 * sentence saying so, until the Aws implementation lands (issue 4).
 */
import { type LoadBalancer, type Logger, TerminalError } from '@sluice/core';

/** Options of the aws provider. */
export interface AwsProviderOptions {
  /** Names the cluster in resource names and ownership tags. */
  readonly clusterName: string;
  readonly log?: Logger;
}

/** Always throws a {@link TerminalError} in this release: the aws provider cannot start yet. */
export function createAwsProvider(options: AwsProviderOptions): LoadBalancer {
  throw new TerminalError(
    `--provider aws cannot start: @sluice/provider-aws ${VERSION} has no ELBv2 Network Load Balancers with IP targets support yet (cluster ${options.clusterName}); use --provider local.`,
    { field: '--provider', reason: 'ProviderUnavailable' },
  );
}

/** The package version, for messages. */
export const VERSION = '0.1.0';
