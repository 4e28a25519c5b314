/**
 * Test harness: a {@link FakeCompute} on loopback and a provider pointed at it through the
 * real SDK (apiEndpoint `http://127.0.0.1:<port>`), with a recording logger.
 */
import type { Backend, ServiceSpecView } from '@sluice/core';
import { backendAt, recordingLogger, serviceView } from '@sluice/core/testing';
import { GcpLoadBalancer } from '../gcp-load-balancer.ts';
import type { GcpProviderOptions } from '../options.ts';
import { FakeCompute, type FakeComputeOptions } from './fake-compute.ts';

export const PROJECT = 'proj-1';
export const REGION = 'europe-west1';

export interface Harness {
  readonly fake: FakeCompute;
  readonly provider: GcpLoadBalancer;
  readonly log: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<GcpProviderOptions> = {}, fakeOptions: FakeComputeOptions = {}): Promise<Harness> {
  const fake = new FakeCompute(fakeOptions);
  const endpoint = await fake.start();
  const log = recordingLogger();
  // The fake holds no subnets or firewall rules: prerequisites and the derived subnetwork are the Compute test server's to show (e2e/servers/gcp).
  const provider = new GcpLoadBalancer({ clusterName: 'c1', project: PROJECT, region: REGION, network: 'vpc-1', subnetwork: 'pods', apiEndpoint: endpoint, log, checkPrerequisites: false, ...options }, {});
  return {
    fake,
    provider,
    log,
    async close() {
      await provider.close();
      await fake.stop();
    },
  };
}

/** `shop/web` (uid `uid-1`) with one port `http` 80/TCP -> 8080, and whatever `overrides` sets. */
export function service(overrides: Partial<ServiceSpecView> = {}): ServiceSpecView {
  return serviceView(overrides);
}

/** Backend number `i`: 10.8.x.y:8080, pod `web-<i>` on node `node-<i % 3>` in zone `<region>-b`. */
export function backend(i: number, overrides: Partial<Backend> = {}): Backend {
  return backendAt(`10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`, { podUid: `pod-${i}`, podName: `web-${i}`, nodeName: `node-${i % 3}`, zone: `${REGION}-b`, ...overrides });
}
