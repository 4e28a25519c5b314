/**
 * Starts the fake ARM on a real loopback HTTPS socket and an azure provider whose SDK
 * client points at it (trusting the test certificate, with a static token). Every
 * `azure call` the provider logs is kept, so tests assert on the operations made.
 */
import { NetworkManagementClient } from '@azure/arm-network';
import type { Backend, Logger, ServicePortView, ServiceSpecView } from '@sluice/core';
import { AzureLoadBalancer } from '../azure-load-balancer.ts';
import type { AzureProviderOptions } from '../options.ts';
import { type ArmServer, startArmServer } from './arm-server.ts';
import { FakeArm } from './fake-arm.ts';
import { testCertificate } from './tls.ts';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

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

export function recordingLogger(lines: LogLine[]): Logger {
  return {
    debug: (message, fields = {}) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields = {}) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields = {}) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields = {}) => lines.push({ level: 'error', message, fields }),
  };
}

/** The provider options that address the fake, without a client. */
export function fakeOptions(fake: FakeArm): Omit<AzureProviderOptions, 'clusterName'> {
  return { subscriptionId: fake.subscriptionId, resourceGroup: fake.resourceGroup, location: fake.location, virtualNetworkId: fake.vnetId };
}

export async function startHarness(options: { maxRetries?: number } = {}): Promise<Harness> {
  const fake = new FakeArm();
  const server = await startArmServer((req) => fake.handle(req));
  const credential = { getToken: async () => ({ token: fake.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const networkClient = new NetworkManagementClient(credential, fake.subscriptionId, {
    endpoint: server.endpoint,
    tlsOptions: { ca: testCertificate().cert },
    retryOptions: { maxRetries: options.maxRetries ?? 0 },
  });
  const lines: LogLine[] = [];
  const provider = new AzureLoadBalancer({ clusterName: CLUSTER, ...fakeOptions(fake), networkClient, pollIntervalMs: 5, log: recordingLogger(lines) }, {});
  let seen = 0;
  return {
    fake,
    server,
    provider,
    lines,
    takeOperations() {
      const calls = lines.filter((l) => l.message === 'azure call');
      const out = calls.slice(seen).map((l) => String(l.fields['operation']));
      seen = calls.length;
      return out;
    },
    close: () => server.close(),
  };
}

export function service(ports: readonly Partial<ServicePortView>[] = [{}], annotations: Record<string, string> = {}, uid = 'uid-1'): ServiceSpecView {
  return {
    namespace: 'shop',
    name: 'web',
    uid,
    annotations,
    ports: ports.map((p) => ({ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, ...p })),
  };
}

export function backend(ip: string, weight = 1, servicePort = 'http', port = 8080): Backend {
  return { servicePort, ip, port, podUid: `uid-${ip}`, podName: `pod-${ip}`, weight };
}
