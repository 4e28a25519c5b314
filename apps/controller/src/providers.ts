/**
 * Loads the chosen provider package by dynamic import, so a cluster on AWS never loads the
 * Azure SDK. Each provider package is an optional dependency of the app; a missing one is
 * reported in one sentence naming the package to install.
 */
import type { LoadBalancer, Logger } from '@sluice/core';
import type { RunConfig } from './flags.ts';

export class ProviderLoadError extends Error {
  override name = 'ProviderLoadError';
}

async function importPackage<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) {
      throw new ProviderLoadError(`provider package ${name} is not installed: run npm install ${name}.`, { cause: error });
    }
    throw error;
  }
}

export async function loadProvider(config: RunConfig, log: Logger): Promise<LoadBalancer> {
  switch (config.provider) {
    case 'local': {
      const m = await importPackage('@sluice/provider-local', () => import('@sluice/provider-local'));
      return m.createLocalProvider({ address: config.localAddress, intervalMs: config.localHealthIntervalMs, log });
    }
    case 'aws': {
      const m = await importPackage('@sluice/provider-aws', () => import('@sluice/provider-aws'));
      return m.createAwsProvider({
        clusterName: config.clusterName,
        log,
        ...(config.awsRegion ? { region: config.awsRegion } : {}),
        ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
      });
    }
    case 'azure': {
      const m = await importPackage('@sluice/provider-azure', () => import('@sluice/provider-azure'));
      const a = config.azure;
      return m.createAzureProvider({
        clusterName: config.clusterName,
        log,
        ...(a.subscriptionId ? { subscriptionId: a.subscriptionId } : {}),
        ...(a.resourceGroup ? { resourceGroup: a.resourceGroup } : {}),
        ...(a.location ? { location: a.location } : {}),
        ...(a.virtualNetworkId ? { virtualNetworkId: a.virtualNetworkId } : {}),
        ...(a.endpoint ? { endpoint: a.endpoint } : {}),
      });
    }
    case 'gcp': {
      const m = await importPackage('@sluice/provider-gcp', () => import('@sluice/provider-gcp'));
      const g = config.gcp;
      return m.createGcpProvider({
        clusterName: config.clusterName,
        log,
        ...(g.project ? { project: g.project } : {}),
        ...(g.region ? { region: g.region } : {}),
        ...(g.network ? { network: g.network } : {}),
        ...(g.subnetwork ? { subnetwork: g.subnetwork } : {}),
        ...(g.computeEndpoint ? { apiEndpoint: g.computeEndpoint } : {}),
      });
    }
  }
}
