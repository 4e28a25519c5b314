/**
 * Starts the fake AWS on a real loopback socket and an aws provider whose SDK clients
 * point at it, with static test credentials. Every `aws call` the provider logs is kept,
 * so tests assert on the calls made, by operation.
 */
import { afterEach, beforeEach } from 'node:test';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend, ServicePortView, ServiceSpecView } from '@sluice/core';
import { backendAt, fieldTaker, type LogLine, recordingLogger, serviceView } from '@sluice/core/testing';
import { AwsLoadBalancer } from '../aws-load-balancer.ts';
import { FakeAws } from './fake-aws.ts';
import { type QueryServer, startQueryServer } from './query-server.ts';

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

export interface HarnessOptions {
  readonly maxAttempts?: number;
  readonly healthCheckIntervalSeconds?: number;
  readonly backendSecurityGroupRules?: 'manage' | 'off';
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
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
  const log = recordingLogger();
  const lines = log.lines;
  const provider = new AwsLoadBalancer(
    {
      clusterName: CLUSTER,
      elbv2Client,
      ec2Client,
      log,
      rateLimits: { describe: Infinity, registration: Infinity, write: Infinity, elbAccount: Infinity },
      ...(options.healthCheckIntervalSeconds !== undefined ? { healthCheckIntervalSeconds: options.healthCheckIntervalSeconds } : {}),
      ...(options.backendSecurityGroupRules !== undefined ? { backendSecurityGroupRules: options.backendSecurityGroupRules } : {}),
    },
    {},
  );
  return {
    fake,
    server,
    provider,
    lines,
    takeOperations: fieldTaker(lines, 'aws call', 'operation'),
    async close() {
      elbv2Client.destroy();
      ec2Client.destroy();
      await server.close();
    },
  };
}

/**
 * A fresh harness for every test of the file (started before each, closed after each): the
 * returned object always stands for the current test's harness.
 */
export function harnessPerTest(options: HarnessOptions = {}): Harness {
  let current: Harness | undefined;
  beforeEach(async () => {
    current = await startHarness(options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as Harness, {
    get: (_target, key) => {
      if (!current) throw new Error('the harness is only there while a test runs');
      return Reflect.get(current, key);
    },
  });
}

/** `shop/web` (uid `uid-1`) with the given ports (each `http` 80/TCP -> 8080 unless it says otherwise). */
export function service(ports: readonly Partial<ServicePortView>[] = [{}], annotations: Record<string, string> = {}, uid = 'uid-1'): ServiceSpecView {
  return serviceView({ ports, annotations, uid });
}

export function backend(ip: string, weight = 1, servicePort = 'http', port = 8080): Backend {
  return backendAt(ip, { weight, servicePort, port });
}

/** n backends 10.1.x.y:8080. */
export function manyBackends(n: number): Backend[] {
  return Array.from({ length: n }, (_, i) => backend(`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
}

export const WRITE = /^(Create|Modify|Register|Deregister|Delete|Add|Remove|Set)/;
