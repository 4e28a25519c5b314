/**
 * One rollout scenario, any provider: a provider under test (what must run beside the
 * controller, e.g. a cloud twin, and the controller flags that point Sluice at it) and a timing
 * profile; the scenario starts both, runs the rolling updates of {@link runRolloutScenario} for
 * each SIGTERM behaviour under load, and reports lost requests with the gate and drain latencies
 * the controller logged. A provider that cannot honour a profile says so before anything starts.
 */
import { freeLoopbackPorts } from '../harness/free-port.ts';
import { type ControllerProcess, startControllerProcess } from './controller-process.ts';
import type { Environment } from './environment.ts';
import { type RolloutScenarioOptions, type RolloutScenarioResult, runRolloutScenario } from './rollout.ts';
import { describeProfile, profileProblems, type TimingProfile } from './timing-profile.ts';

/** What a provider under test started for one run: the controller's flags and environment, and how to stop it. */
export interface ProviderBackend {
  /** Flags after `--provider <name>` (provider flags, timing flags). */
  readonly controllerArgs: readonly string[];
  /** Extra environment for the controller (endpoints, credentials of a twin). */
  readonly controllerEnv?: Readonly<Record<string, string>>;
  /** Annotations every Service of the run gets (the provider's settings for the profile). @default none */
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
  /** The address an LB published by hostname stands for (a twin's DNS). @default none */
  readonly resolveHostname?: (hostname: string) => string | undefined;
  /**
   * The cloud requests the controller has made so far, as the twin logged them (reads,
   * writes, operation polls by the cloud's own definitions): the scenario counts what its
   * rolling updates cost per replaced pod. @default not counted
   */
  readonly cloudCalls?: () => CloudCalls;
  stop(): Promise<void>;
}

export interface CloudCalls {
  readonly reads: number;
  readonly writes: number;
  /** Polls of long-running operations, where the cloud has them. */
  readonly polls: number;
}

/** What one run's rolling updates cost in cloud requests. */
export interface RolloutCost extends CloudCalls {
  /** Pods replaced by the rolling updates (rollouts x replicas). */
  readonly replacedPods: number;
}

/** A provider the rollout scenario can run: `local`, or a cloud provider through its twin. */
export interface ProviderUnderTest {
  /** The `--provider` value. */
  readonly name: string;
  /**
   * Why this provider cannot run `profile` (one sentence naming the field, the value and what
   * it can do instead), or undefined when it can.
   */
  refuses(profile: TimingProfile): string | undefined;
  /** Starts what the provider needs beside the controller, configured for the profile. */
  start(env: Environment, profile: TimingProfile): Promise<ProviderBackend>;
}

/** Thrown before anything starts when a provider cannot honour a profile, or the profile is unsound. */
export class ProfileRefusedError extends Error {
  override readonly name = 'ProfileRefusedError';
}

/**
 * The embedded LB: it checks health on its own timers (`--local-health-interval-ms`) with fixed
 * thresholds (2 / 2) and drains by weight 0 with no registration latency, so only profiles with
 * those semantics run on it.
 */
export const LOCAL_PROVIDER: ProviderUnderTest = {
  name: 'local',
  refuses(profile) {
    if (profile.drain.kind !== 'weight0') return `drain.kind is ${profile.drain.kind}: the local provider drains by weight 0 only.`;
    if (profile.registrationLatencyMs !== 0) return `registrationLatencyMs is ${profile.registrationLatencyMs}: the local provider checks a new backend at once (0).`;
    if (profile.healthyThreshold !== 2 || profile.unhealthyThreshold !== 2) {
      return `healthyThreshold/unhealthyThreshold are ${profile.healthyThreshold}/${profile.unhealthyThreshold}: the local provider uses 2/2.`;
    }
    return undefined;
  },
  async start(_env, profile) {
    const intervalMs = Math.max(1, Math.round(profile.healthIntervalMs * profile.timeScale));
    return { controllerArgs: ['--local-health-interval-ms', String(intervalMs)], stop: async () => {} };
  },
};

export interface ProviderRolloutOptions
  extends Omit<RolloutScenarioOptions, 'kubeConfig' | 'namespace' | 'servicePort' | 'sigterm' | 'say'> {
  readonly env: Environment;
  readonly provider: ProviderUnderTest;
  readonly profile: TimingProfile;
  /** The app's behaviours on SIGTERM to run, one namespace each. @default ['keep-serving', 'close'] */
  readonly behaviours?: readonly RolloutScenarioOptions['sigterm'][];
  /** Controller flags beyond the provider's (e.g. `--no-drain` for a comparison). @default none */
  readonly controllerArgs?: readonly string[];
  /** Namespace prefix; each behaviour gets `<prefix>-<behaviour>`. @default `<provider>-<profile>` */
  readonly namespacePrefix?: string;
  readonly say?: (line: string) => void;
  /**
   * Called after the last run while the controller still runs (to scrape its metrics, read its
   * log); a rejection fails the scenario, everything stopped all the same. @default none
   */
  readonly inspect?: (controller: ControllerProcess) => Promise<void>;
}

export interface ProviderRolloutRun extends RolloutScenarioResult {
  readonly sigterm: RolloutScenarioOptions['sigterm'];
  /** `gate passed` waits the controller logged during this run, ms. */
  readonly gateMs: readonly number[];
  /** `drain applied` latencies the controller logged during this run, ms. */
  readonly drainMs: readonly number[];
  /** What the rolling updates cost in cloud requests, when the backend counts them (see ProviderBackend.cloudCalls). */
  readonly rolloutCost?: RolloutCost;
}

export interface ProviderRolloutResult {
  readonly provider: string;
  readonly profile: TimingProfile;
  /** The profile in one line, for tables. */
  readonly described: string;
  readonly runs: readonly ProviderRolloutRun[];
}

/** Throws {@link ProfileRefusedError} when the profile is unsound or the provider cannot honour it (call it before starting anything costly). */
export function checkProfile(provider: ProviderUnderTest, profile: TimingProfile): void {
  const problems = profileProblems(profile);
  const refusal = provider.refuses(profile);
  if (problems.length > 0 || refusal) {
    throw new ProfileRefusedError(`profile ${profile.name} on provider ${provider.name}: ${[...problems, refusal].filter(Boolean).join(' ')}`);
  }
}

/** Runs the rollout scenario for each SIGTERM behaviour with `provider` under `profile`; see the file comment. */
export async function runProviderRollout(o: ProviderRolloutOptions): Promise<ProviderRolloutResult> {
  checkProfile(o.provider, o.profile);
  const say = o.say ?? (() => {});
  const described = describeProfile(o.profile);
  say(`${o.provider.name} under ${described}`);
  const backend = await o.provider.start(o.env, o.profile);
  const runs: ProviderRolloutRun[] = [];
  try {
    const controller = startControllerProcess({
      kubeconfigPath: o.env.kubeconfigPath,
      provider: o.provider.name,
      args: [...backend.controllerArgs, ...(o.controllerArgs ?? [])],
      ...(backend.controllerEnv ? { env: backend.controllerEnv } : {}),
    });
    try {
      await controller.ready();
      for (const sigterm of o.behaviours ?? (['keep-serving', 'close'] as const)) {
        const from = controller.lines.length;
        const edges: { start?: CloudCalls; done?: CloudCalls } = {};
        const [port] = await freeLoopbackPorts(1);
        const { env: _env, provider: _provider, profile: _profile, behaviours: _b, controllerArgs: _a, namespacePrefix, inspect: _i, ...scenario } = o;
        const result = await runRolloutScenario({
          ...scenario,
          kubeConfig: o.env.kubeConfig,
          namespace: `${namespacePrefix ?? `${o.provider.name}-${o.profile.name}`}-${sigterm}`,
          servicePort: port!,
          sigterm,
          ...(backend.serviceAnnotations ? { workload: { ...scenario.workload, serviceAnnotations: { ...backend.serviceAnnotations, ...scenario.workload?.serviceAnnotations } } } : {}),
          ...(backend.resolveHostname ? { resolveHostname: backend.resolveHostname } : {}),
          say: (line) => say(`${o.provider.name}/${sigterm}: ${line}`),
          onRollouts: (edge) => {
            scenario.onRollouts?.(edge);
            if (backend.cloudCalls) edges[edge] = backend.cloudCalls();
          },
        });
        const { gateMs, drainMs } = controller.latencies(from);
        const rolloutCost = costOf(edges, (o.rollouts ?? 3) * (o.replicas ?? 5));
        runs.push({ ...result, sigterm, gateMs, drainMs, ...(rolloutCost ? { rolloutCost } : {}) });
      }
      if (o.inspect) await o.inspect(controller);
    } finally {
      await controller.stop();
      await controller.dataplane?.stop();
    }
  } finally {
    await backend.stop();
  }
  return { provider: o.provider.name, profile: o.profile, described, runs };
}

function costOf(edges: { start?: CloudCalls; done?: CloudCalls }, replacedPods: number): RolloutCost | undefined {
  const { start, done } = edges;
  if (!start || !done) return undefined;
  return { reads: done.reads - start.reads, writes: done.writes - start.writes, polls: done.polls - start.polls, replacedPods };
}

/** The read budget per replaced pod the cloud jobs hold Sluice to (cloud API limits are shared per account). */
export const MAX_READS_PER_REPLACED_POD = 5;

/** One line per run: what its rolling updates cost in cloud requests per replaced pod. */
export function rolloutCostLines(label: string, runs: readonly ProviderRolloutRun[]): string[] {
  return runs.flatMap((r) => {
    const c = r.rolloutCost;
    if (!c) return [];
    const per = (n: number) => (n / c.replacedPods).toFixed(2);
    return [
      `${label} / ${r.sigterm}: rolling updates replaced ${c.replacedPods} pods for ${c.reads} reads, ${c.writes} writes, ${c.polls} operation polls: ${per(c.reads)} reads per replaced pod (budget ${MAX_READS_PER_REPLACED_POD}), ${per(c.polls)} polls`,
    ];
  });
}

/** Fails unless every run counted its rolling updates' cost and stayed within MAX_READS_PER_REPLACED_POD. */
export function assertReadBudget(runs: readonly ProviderRolloutRun[]): void {
  for (const r of runs) {
    const c = r.rolloutCost;
    if (!c) throw new Error(`the ${r.sigterm} run counted no cloud requests: the provider under test gives no cloudCalls`);
    const per = c.reads / c.replacedPods;
    if (per > MAX_READS_PER_REPLACED_POD) {
      throw new Error(`the ${r.sigterm} run's rolling updates cost ${per.toFixed(2)} cloud reads per replaced pod, more than ${MAX_READS_PER_REPLACED_POD} (${c.reads} reads for ${c.replacedPods} pods)`);
    }
  }
}
