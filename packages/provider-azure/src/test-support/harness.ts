/**
 * Starts the fake ARM on a real loopback HTTPS socket and an azure provider whose SDK
 * client points at it (trusting the test certificate, with a static token). Every
 * `azure call` the provider logs is kept, so tests assert on the operations made.
 */
import { afterEach, beforeEach } from 'node:test';
import { NetworkManagementClient } from '@azure/arm-network';
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import { backendAt, fieldTaker, type LogLine, recordingLogger, serviceView } from '@sluice/core/testing';
import { AzureLoadBalancer } from '../azure-load-balancer.ts';
import type { AzureProviderOptions } from '../options.ts';
import { type ArmServer, startArmServer } from './arm-server.ts';
import { FakeArm } from './fake-arm.ts';
import { testCertificate } from './tls.ts';

export interface Harness {
  readonly fake: FakeArm;
  readonly server: ArmServer;
  readonly provider: AzureLoadBalancer;
  readonly lines: LogLine[];
  /** Operations logged as `azure call` since the last call of this function. */
  takeOperations(): string[];
  close(): Promise<void>;
}

export const CLUSTER = 'c1';
export const signal: AbortSignal = new AbortController().signal;
export const WRITE = /\.(createOrUpdate|delete)$/;

/** The provider options that address the fake, without a client. */
export function fakeOptions(fake: FakeArm): Omit<AzureProviderOptions, 'clusterName'> {
  return { subscriptionId: fake.subscriptionId, resourceGroup: fake.resourceGroup, location: fake.location, virtualNetworkId: fake.vnetId };
}

/** The shared load balancers the harness's provider allows (shared-load-balancer.test.ts uses both). */
export const ALLOWED_SHARED = ['lb-shared', 'other'];

export async function startHarness(options: { maxRetries?: number; sharedLoadBalancers?: readonly string[] } = {}): Promise<Harness> {
  const fake = new FakeArm();
  const server = await startArmServer((req) => fake.handle(req));
  const credential = { getToken: async () => ({ token: fake.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const networkClient = new NetworkManagementClient(credential, fake.subscriptionId, {
    endpoint: server.endpoint,
    tlsOptions: { ca: testCertificate().cert },
    retryOptions: { maxRetries: options.maxRetries ?? 0 },
  });
  const log = recordingLogger();
  const provider = new AzureLoadBalancer({ clusterName: CLUSTER, ...fakeOptions(fake), networkClient, pollIntervalMs: 5, log, sharedLoadBalancers: options.sharedLoadBalancers ?? ALLOWED_SHARED }, {});
  return {
    fake,
    server,
    provider,
    lines: log.lines,
    takeOperations: fieldTaker(log.lines, 'azure call', 'operation'),
    close: () => server.close(),
  };
}

/** `shop/web` (uid `uid-1`) with the given ports (each `http` 80/TCP -> 8080 unless it says otherwise). */
export function service(ports: readonly Partial<ServicePortView>[] = [{}], annotations: Record<string, string> = {}, uid = 'uid-1'): ServiceSpecView {
  return serviceView({ ports, annotations, uid });
}

export function backend(ip: string, weight = 1, servicePort = 'http', port = 8080): Backend {
  return backendAt(ip, { weight, servicePort, port });
}

/** Starts a fresh harness before each test of the file (handed to `use`) and closes it after. */
export function harnessPerTest(use: (harness: Harness) => void, options: { maxRetries?: number; sharedLoadBalancers?: readonly string[] } = {}): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(options);
    use(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}
