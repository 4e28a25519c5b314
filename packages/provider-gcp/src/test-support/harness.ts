/**
 * Test harness: a {@link FakeCompute} on loopback and a provider pointed at it through the
 * real SDK (apiEndpoint `http://127.0.0.1:<port>`), with a recording logger.
 */
import type { Backend, Logger, ServiceSpecView } from '@sluice/core';
import { GcpLoadBalancer } from '../gcp-load-balancer.ts';
import type { GcpProviderOptions } from '../options.ts';
import { FakeCompute, type FakeComputeOptions } from './fake-compute.ts';

export const PROJECT = 'proj-1';
export const REGION = 'europe-west1';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

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
  const provider = new GcpLoadBalancer({ clusterName: 'c1', project: PROJECT, region: REGION, network: 'vpc-1', apiEndpoint: endpoint, log, ...options }, {});
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

export function service(overrides: Partial<ServiceSpecView> = {}): ServiceSpecView {
  return {
    namespace: 'shop',
    name: 'web',
    uid: 'uid-1',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    annotations: {},
    ...overrides,
  };
}

export function backend(i: number, overrides: Partial<Backend> = {}): Backend {
  return {
    servicePort: 'http',
    ip: `10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: 8080,
    podUid: `pod-${i}`,
    podName: `web-${i}`,
    weight: 1,
    nodeName: `node-${i % 3}`,
    zone: `${REGION}-b`,
    ...overrides,
  };
}
