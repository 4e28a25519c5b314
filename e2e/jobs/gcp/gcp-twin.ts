/**
 * The gcp provider under test for the rollout scenario: the Compute test server with the
 * proxy-NLB twin's data plane (a `sluice-dataplane` process at the profile's time scale),
 * seeded as a real project would be before Sluice runs: a network with the pods' subnetwork
 * and an active proxy-only subnet, one VM per zone whose alias range holds the pod IPs
 * (tagged `sluice-pods`), and the operator's firewall rules that let Google's health-check
 * ranges and the proxy-only subnet reach them. Forwarding rules get loopback addresses from a
 * /24 of this run, where the data plane's listeners bind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDataPlane, type DataPlaneClient, type DataPlaneProcess, startDataPlaneProcess } from '@sluice/dataplane';
import type { Environment, ProviderUnderTest, TimingProfile } from '@sluice/testbed/scenario';
import { type ComputeServer, computeCallBudget, HEALTH_CHECK_RANGES, startComputeServer } from '../../servers/gcp/index.ts';

export const PROJECT = 'sluice-e2e';
export const REGION = 'us-central1';
export const ZONES: readonly string[] = ['us-central1-a', 'us-central1-b'];
/** The network tag of the VMs the pods run on, which the operator's firewall rules target. */
export const POD_TAG = 'sluice-pods';
export const PROXY_ONLY_RANGE = '10.129.0.0/23';

export interface GcpTwinOptions {
  /** Create the operator's firewall rules (health checks and proxies to the pods). @default true */
  readonly firewallRules?: boolean;
  /** Create the active proxy-only subnet. @default true */
  readonly proxyOnlySubnet?: boolean;
  /** Flags after the provider's own. @default none */
  readonly controllerArgs?: readonly string[];
  /** The controller's `--resync-period`, seconds. @default 30 */
  readonly resyncSeconds?: number;
  /** Called with the running twin (to seed more, or to look at it). */
  readonly onStarted?: (twin: RunningGcpTwin) => void;
}

export interface RunningGcpTwin {
  readonly compute: ComputeServer;
  readonly dataPlane: DataPlaneClient;
}

/** A /24 of 127.0.0.0/8 for this process's forwarding rules, apart from other runs on the machine. */
export function loopbackBlock(): string {
  return `127.${100 + (process.pid % 100)}.${(process.pid >> 7) % 250}.0/24`;
}

/** Inserts a VPC firewall rule through the REST API, as an operator's tooling would. */
export async function insertFirewall(compute: ComputeServer, rule: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${compute.url}/compute/v1/projects/${PROJECT}/global/firewalls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  if (res.status !== 200) throw new Error(`the Compute test server refused firewall rule ${String(rule.name)}: ${res.status} ${await res.text()}`);
}

/** Seeds what a project holds before Sluice runs; see the file comment. */
export async function seedProject(compute: ComputeServer, env: Environment, o: Pick<GcpTwinOptions, 'firewallRules' | 'proxyOnlySubnet'> = {}): Promise<void> {
  for (const zone of ZONES) compute.state.addZone(PROJECT, zone, REGION);
  compute.state.addNetwork({ project: PROJECT, name: 'default' });
  compute.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'default', network: 'default', ipCidrRange: '10.0.0.0/8' });
  if (o.proxyOnlySubnet ?? true) {
    compute.state.addSubnetwork({ project: PROJECT, region: REGION, name: 'proxy-only', network: 'default', ipCidrRange: PROXY_ONLY_RANGE, purpose: 'REGIONAL_MANAGED_PROXY' });
  }
  for (const zone of ZONES) {
    compute.state.addInstance({ project: PROJECT, zone, name: `sim-${zone}`, network: 'default', subnetwork: 'default', networkIP: env.network.hostIp, aliasIpRanges: [env.network.cidr], tags: [POD_TAG] });
  }
  if (o.firewallRules ?? true) {
    await insertFirewall(compute, { name: 'allow-health-checks', sourceRanges: [...HEALTH_CHECK_RANGES], targetTags: [POD_TAG], allowed: [{ IPProtocol: 'tcp' }] });
    await insertFirewall(compute, { name: 'allow-proxies', sourceRanges: [PROXY_ONLY_RANGE], targetTags: [POD_TAG], allowed: [{ IPProtocol: 'tcp' }] });
  }
}

/** Why the gcp provider cannot run `profile`, in one sentence, or undefined. */
function refuses(profile: TimingProfile): string | undefined {
  if (profile.drain.kind !== 'detach') return `drain.kind is ${profile.drain.kind}: the gcp provider drains by NEG detach (detach).`;
  if (profile.registrationLatencyMs !== 0) return `registrationLatencyMs is ${profile.registrationLatencyMs}: the proxy-NLB twin checks a new endpoint at once (0).`;
  if (profile.healthyThreshold !== 2 || profile.unhealthyThreshold !== 2) {
    return `healthyThreshold/unhealthyThreshold are ${profile.healthyThreshold}/${profile.unhealthyThreshold}: the gcp provider creates health checks with Compute's 2/2 unless a Service annotates others.`;
  }
  const seconds = (ms: number) => Number.isInteger(ms / 1000);
  if (!seconds(profile.healthIntervalMs) || profile.healthIntervalMs < 1000 || profile.healthIntervalMs > 300_000) {
    return `healthIntervalMs is ${profile.healthIntervalMs}: Compute health checks take whole seconds from 1 to 300.`;
  }
  if (profile.healthTimeoutMs !== Math.min(5000, profile.healthIntervalMs)) {
    return `healthTimeoutMs is ${profile.healthTimeoutMs}: the gcp provider's health checks time out after min(5 s, interval) unless a Service annotates another.`;
  }
  if (!seconds(profile.drain.drainingTimeoutMs) || profile.drain.drainingTimeoutMs > 3_600_000) {
    return `drain.drainingTimeoutMs is ${profile.drain.drainingTimeoutMs}: connectionDraining takes whole seconds from 0 to 3600.`;
  }
  return undefined;
}

/** The gcp provider through the Compute test server and the proxy-NLB twin; see the file comment. */
export function gcpProviderUnderTest(options: GcpTwinOptions = {}): ProviderUnderTest {
  return {
    name: 'gcp',
    refuses,
    async start(env, profile) {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-gcp-twin-'));
      const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
      const stop = async () => {
        for (const s of stops.reverse()) await s().catch(() => undefined);
      };
      try {
        const process_: DataPlaneProcess = await startDataPlaneProcess({ socketPath: join(dir, 'dataplane.sock'), timeScale: profile.timeScale });
        stops.push(() => process_.stop());
        const dataPlane = await connectDataPlane(process_.socketPath);
        stops.push(async () => dataPlane.disconnect());
        // Compute's per-project rate quotas (answered 429), operations that need a poll to finish.
        const compute = await startComputeServer({ dataPlane, addressBlock: loopbackBlock(), rateLimits: true, operations: { pollsBeforeDone: 1 } });
        stops.push(() => compute.close());
        await seedProject(compute, env, options);
        options.onStarted?.({ compute, dataPlane });
        if (profile.drain.kind !== 'detach') throw new Error('unreachable: refused above');
        // The controller reads health twice per (scaled) check interval.
        const pollMs = Math.max(50, Math.round((profile.healthIntervalMs * profile.timeScale) / 2));
        return {
          controllerArgs: ['--cluster-name', 'e2e-rollout', '--health-poll-ms', String(pollMs), '--resync-period', String(options.resyncSeconds ?? 30), ...(options.controllerArgs ?? [])],
          controllerEnv: {
            GOOGLE_CLOUD_PROJECT: PROJECT,
            GCP_REGION: REGION,
            GCP_NETWORK: 'default',
            // No GCP_SUBNETWORK: the provider finds the network's one ordinary subnetwork in the region.
            GCP_COMPUTE_ENDPOINT: compute.url,
            SLUICE_GCP_HEALTHCHECK_INTERVAL: String(profile.healthIntervalMs / 1000),
            SLUICE_GCP_DRAINING_TIMEOUT: String(profile.drain.drainingTimeoutMs / 1000),
          },
          cloudCalls: () => {
            const { reads, writes, polls } = computeCallBudget(compute.requests.entries());
            return { reads, writes, polls };
          },
          stop,
        };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}
