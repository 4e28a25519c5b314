/**
 * Starts the fake AWS on a real loopback socket and an aws provider whose SDK clients
 * point at it, with static test credentials. Every `aws call` the provider logs is kept,
 * so tests assert on the calls made, by operation.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend, Logger, ServicePortView, ServiceSpecView } from '@sluice/core';
import { AwsLoadBalancer } from '../aws-load-balancer.ts';
import { FakeAws } from './fake-aws.ts';
import { type QueryServer, startQueryServer } from './query-server.ts';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export interface Harness {
  readonly fake: FakeAws;
  readonly server: QueryServer;
  readonly provider: AwsLoadBalancer;
  readonly lines: LogLine[];
  /** Operations logged as `aws call` since the last call of this function. */
  takeOperations(): string[];
  close(): Promise<void>;
}

export const CLUSTER = 'c1';
export const signal: AbortSignal = new AbortController().signal;

export async function startHarness(options: { maxAttempts?: number; healthCheckIntervalSeconds?: number } = {}): Promise<Harness> {
  const fake = new FakeAws();
  const server = await startQueryServer((call) => fake.handle(call));
  const config = {
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 1,
  };
  const elbv2Client = new ElasticLoadBalancingV2Client(config);
  const ec2Client = new EC2Client(config);
  const lines: LogLine[] = [];
  const log: Logger = {
    debug: (message, fields = {}) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields = {}) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields = {}) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields = {}) => lines.push({ level: 'error', message, fields }),
  };
  const provider = new AwsLoadBalancer(
    {
      clusterName: CLUSTER,
      elbv2Client,
      ec2Client,
      log,
      rateLimits: { describe: Infinity, registration: Infinity, write: Infinity },
      ...(options.healthCheckIntervalSeconds !== undefined ? { healthCheckIntervalSeconds: options.healthCheckIntervalSeconds } : {}),
    },
    {},
  );
  let seen = 0;
  return {
    fake,
    server,
    provider,
    lines,
    takeOperations() {
      const calls = lines.filter((l) => l.message === 'aws call');
      const out = calls.slice(seen).map((l) => String(l.fields['operation']));
      seen = calls.length;
      return out;
    },
    async close() {
      elbv2Client.destroy();
      ec2Client.destroy();
      await server.close();
    },
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

/** n backends 10.1.x.y:8080. */
export function manyBackends(n: number): Backend[] {
  return Array.from({ length: n }, (_, i) => backend(`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
}

export const WRITE = /^(Create|Modify|Register|Deregister|Delete|Add|Remove|Set)/;
