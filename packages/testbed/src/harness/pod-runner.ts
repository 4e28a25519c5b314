/**
 * Runs one pod bound to a simulated node, from IP allocation to the final delete, keeping its
 * status in the API server the way the kubelet does.
 *
 * Termination order, as the kubelet: every container runs its preStop hook, then gets SIGTERM,
 * then SIGKILL once the grace period (counted from the moment deletion was seen, preStop
 * included, but at least 2 s after a preStop hook) has run out. Only then are the containers
 * reported terminated and the pod deleted with grace 0 and a uid precondition (so a new pod
 * with the same name is never deleted by mistake), and its IP released.
 */
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { request } from 'node:http';
import { apiStatus, describeApiError } from './api-errors.ts';
import { type ContainerProcess, startContainerProcess } from './container-process.ts';
import type { IpFamily } from './ip-family.ts';
import { preStopAction } from './lifecycle-hooks.ts';
import type { HarnessLogger } from './logger.ts';
import { podAddressRequest } from './pod-addresses.ts';
import type { ContainerRuntime, PodRuntime } from './pod-conditions.ts';
import { statusPatch } from './pod-conditions.ts';
import type { PodNetwork } from './pod-network.ts';
import { type ReadinessProber, resolvePort, startReadinessProber } from './readiness-probe.ts';
import { sleep } from './wait.ts';

/** The annotation choosing how the container program reacts to SIGTERM. */
export const SIGTERM_ANNOTATION = 'sim.sluice.dev/sigterm';
/** The kubelet's floor for the time between the end of a preStop hook and SIGKILL. */
const MIN_GRACE_AFTER_PRESTOP_MS = 2000;

/** What a runner needs from its simulator. */
export interface PodRunnerContext {
  core: CoreV1Api;
  network: PodNetwork;
  hostIp: string;
  /** The families a pod gets unless it names its own, primary first. */
  podIpFamilies: readonly IpFamily[];
  probeTimeScale: number;
  log: HarnessLogger;
  /** Called once the pod is gone and its resources are released. */
  onDone(uid: string): void;
}

interface ContainerSlot {
  spec: V1Container;
  runtime: ContainerRuntime;
  process: ContainerProcess | undefined;
  prober: ReadinessProber | undefined;
}

const statusPatchOptions = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function newer(a: V1Pod, b: V1Pod): V1Pod {
  const ra = a.metadata?.resourceVersion ?? '';
  const rb = b.metadata?.resourceVersion ?? '';
  if (/^\d+$/.test(ra) && /^\d+$/.test(rb)) return BigInt(rb) > BigInt(ra) ? b : a;
  return b;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1);
}

export class PodRunner {
  readonly #ctx: PodRunnerContext;
  #pod: V1Pod;
  readonly #runtime: PodRuntime;
  readonly #slots: ContainerSlot[];
  #terminating = false;
  #deadline = Number.POSITIVE_INFINITY;
  /** Set once processes are killed and the IP released; nothing is written after that. */
  #finished = false;
  #deletedByUs = false;
  #sync: Promise<void> | undefined;
  #dirty = false;

  constructor(pod: V1Pod, ctx: PodRunnerContext) {
    this.#pod = pod;
    this.#ctx = ctx;
    this.#runtime = { hostIp: ctx.hostIp, podIps: [], startTime: undefined, sandboxReady: false, containers: [] };
    this.#slots = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      runtime: {
        name: spec.name,
        image: spec.image ?? 'unknown',
        state: { kind: 'waiting', reason: 'ContainerCreating' },
        ready: false,
        restartCount: 0,
        pid: undefined,
      },
      process: undefined,
      prober: undefined,
    }));
    this.#runtime.containers = this.#slots.map((s) => s.runtime);
  }

  get uid(): string {
    return this.#pod.metadata?.uid ?? '';
  }

  get #key(): string {
    return `${this.#pod.metadata?.namespace}/${this.#pod.metadata?.name}`;
  }

  /** The primary address (the one probes and httpGet hooks go to). */
  get #podIp(): string | undefined {
    return this.#runtime.podIps[0];
  }

  /**
   * Allocates one IP per family of the pod (the node's, or `sim.sluice.dev/ip-families`; the
   * addresses `sim.sluice.dev/pod-ip` names, if any) and starts the containers. Throws,
   * having allocated nothing, when the annotations ask for what the network cannot give.
   */
  start(): void {
    const request = podAddressRequest(this.#pod.metadata, this.#ctx.podIpFamilies, this.#ctx.network.families);
    const ips: string[] = [];
    try {
      for (const { family, address } of request) ips.push(this.#ctx.network.allocate(address, family));
    } catch (error) {
      for (const ip of ips) this.#ctx.network.release(ip);
      throw error;
    }
    this.#runtime.podIps = ips;
    this.#runtime.sandboxReady = true;
    this.#runtime.startTime = new Date();
    this.#ctx.log.info(`pod ${this.#key} starting on ${ips.join(', ')}`);
    void this.#flush();
    for (const slot of this.#slots) this.#launch(slot);
    if (this.#pod.metadata?.deletionTimestamp) void this.#terminate();
  }

  /** A newer version of the pod from the API server (gate conditions, deletion...). */
  update(pod: V1Pod): void {
    if (this.#finished) return;
    this.#pod = newer(this.#pod, pod);
    if (this.#pod.metadata?.deletionTimestamp) {
      if (!this.#terminating) void this.#terminate();
      else {
        // A second delete with a shorter grace period shortens the remaining time.
        const grace = this.#pod.metadata.deletionGracePeriodSeconds;
        if (grace !== undefined) this.#deadline = Math.min(this.#deadline, Date.now() + grace * 1000);
      }
    }
    void this.#flush();
  }

  /** The pod vanished from the API server (a forced delete): stop everything at once. */
  removed(): void {
    if (this.#finished || this.#deletedByUs) return;
    this.#ctx.log.info(`pod ${this.#key} was removed from the API; killing its containers`);
    void this.kill();
  }

  /** SIGKILLs every container and releases the IP, without touching the API. */
  async kill(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const slot of this.#slots) {
      slot.prober?.stop();
      slot.process?.signal('SIGKILL');
    }
    await Promise.all(this.#slots.map((s) => s.process?.exit));
    this.#release();
  }

  #release(): void {
    this.#finished = true;
    for (const ip of this.#runtime.podIps) this.#ctx.network.release(ip);
    this.#ctx.onDone(this.uid);
  }

  #env(slot: ContainerSlot): Record<string, string> {
    const env: Record<string, string> = {
      SIGTERM_BEHAVIOUR: this.#pod.metadata?.annotations?.[SIGTERM_ANNOTATION] ?? 'keep-serving',
    };
    for (const e of slot.spec.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const port = slot.spec.ports?.[0]?.containerPort;
    Object.assign(env, {
      POD_NAME: this.#pod.metadata?.name ?? '',
      POD_NAMESPACE: this.#pod.metadata?.namespace ?? '',
      POD_IP: this.#podIp ?? '',
      POD_IPS: this.#runtime.podIps.join(','),
      CONTAINER_NAME: slot.spec.name,
    });
    if (port !== undefined) env['PORT'] = String(port);
    else delete env['PORT'];
    return env;
  }

  #launch(slot: ContainerSlot): void {
    const name = slot.spec.name;
    const proc = startContainerProcess({
      network: this.#ctx.network,
      env: this.#env(slot),
      onOutput: (line) => this.#ctx.log.debug(`${this.#key}/${name}: ${line}`),
    });
    slot.process = proc;
    slot.runtime.pid = proc.pid;
    proc.started.then(
      () => {
        if (this.#finished || proc.exited) return;
        slot.runtime.state = { kind: 'running', startedAt: new Date() };
        const probe = slot.spec.readinessProbe;
        if (!probe) slot.runtime.ready = true;
        else {
          slot.prober = startReadinessProber({
            probe,
            container: slot.spec,
            podIp: this.#podIp!,
            timeScale: this.#ctx.probeTimeScale,
            onChange: (ready) => {
              slot.runtime.ready = ready && slot.runtime.state.kind === 'running';
              void this.#flush();
            },
          });
        }
        void this.#flush();
      },
      () => {},
    );
    void proc.exit.then((exit) => {
      slot.prober?.stop();
      slot.prober = undefined;
      slot.runtime.ready = false;
      const previous = slot.runtime.state;
      const exitCode = exitCodeOf(exit.code, exit.signal);
      slot.runtime.state = {
        kind: 'terminated',
        startedAt: previous.kind === 'running' ? previous.startedAt : undefined,
        finishedAt: new Date(),
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
      };
      if (this.#finished) return;
      void this.#flush();
      if (!this.#terminating && this.#pod.spec?.restartPolicy !== 'Never') {
        // Like the kubelet's crash-loop back-off, much shortened.
        const delayMs = Math.min(10_000, 500 * 2 ** slot.runtime.restartCount);
        this.#ctx.log.warn(`${this.#key}/${name} exited (${exitCode}); restarting in ${delayMs} ms`);
        setTimeout(() => {
          if (this.#terminating || this.#finished) return;
          slot.runtime.restartCount++;
          this.#launch(slot);
        }, delayMs);
      }
    });
  }

  /**
   * Brings the API object up to date. Calls made while a write is in flight are folded into
   * one more pass after it, so writes never overlap and the last state always lands.
   */
  #flush(): Promise<void> {
    if (this.#sync) {
      this.#dirty = true;
      return this.#sync;
    }
    this.#sync = (async () => {
      try {
        do {
          this.#dirty = false;
          await this.#writeStatus();
        } while (this.#dirty && !this.#deletedByUs);
      } finally {
        this.#sync = undefined;
      }
    })();
    return this.#sync;
  }

  async #writeStatus(): Promise<void> {
    if (this.#deletedByUs) return;
    const body = statusPatch(this.#pod, this.#runtime, new Date());
    if (!body) return;
    const { name = '', namespace = '' } = this.#pod.metadata ?? {};
    try {
      const updated = await this.#ctx.core.patchNamespacedPodStatus({ name, namespace, body }, statusPatchOptions);
      this.#pod = newer(this.#pod, updated);
    } catch (error) {
      if (apiStatus(error) === 404) return;
      this.#ctx.log.warn(`status patch of ${this.#key} failed (${describeApiError(error)}); retrying`);
      await sleep(500);
      this.#dirty = true;
    }
  }

  /** Waits until `done()` or the (possibly shrinking) time limit `end()`; polls every 50 ms. */
  async #waitUntil(done: () => boolean, end: () => number): Promise<void> {
    while (!done() && !this.#finished) {
      const left = end() - Date.now();
      if (left <= 0) return;
      await sleep(Math.min(50, left));
    }
  }

  async #runPreStop(slot: ContainerSlot): Promise<boolean> {
    const action = preStopAction(slot.spec);
    if (action.kind === 'none') return false;
    this.#ctx.log.debug(`${this.#key}/${slot.spec.name}: preStop ${JSON.stringify(action)}`);
    if (action.kind === 'sleep') {
      const until = Date.now() + action.seconds * 1000;
      await this.#waitUntil(() => false, () => Math.min(until, this.#deadline));
      return true;
    }
    const port = resolvePort(action.port, slot.spec);
    if (port === undefined || !this.#podIp) return true;
    let finished = false;
    const req = request({ host: this.#podIp, port, path: action.path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (finished = true));
    });
    req.on('error', () => (finished = true));
    req.end();
    await this.#waitUntil(() => finished, () => this.#deadline);
    req.destroy();
    return true;
  }

  async #stopContainer(slot: ContainerSlot): Promise<void> {
    const ranPreStop = slot.process && !slot.process.exited ? await this.#runPreStop(slot) : false;
    const proc = slot.process;
    if (!proc || proc.exited) return;
    const floor = ranPreStop ? Date.now() + MIN_GRACE_AFTER_PRESTOP_MS : 0;
    proc.signal('SIGTERM');
    await this.#waitUntil(() => proc.exited, () => Math.max(this.#deadline, floor));
    if (!proc.exited) {
      this.#ctx.log.info(`${this.#key}/${slot.spec.name} still running after the grace period; SIGKILL`);
      proc.signal('SIGKILL');
    }
    await proc.exit;
  }

  async #terminate(): Promise<void> {
    this.#terminating = true;
    const meta = this.#pod.metadata ?? {};
    const grace = meta.deletionGracePeriodSeconds ?? this.#pod.spec?.terminationGracePeriodSeconds ?? 30;
    const startedAt = Date.now();
    this.#deadline = startedAt + grace * 1000;
    this.#ctx.log.info(`pod ${this.#key} terminating (grace ${grace} s)`);
    await Promise.all(this.#slots.map((slot) => this.#stopContainer(slot)));
    if (this.#finished) return;
    for (const slot of this.#slots) {
      slot.prober?.stop();
      slot.runtime.ready = false;
    }
    this.#runtime.sandboxReady = false;
    await this.#flush();
    this.#deletedByUs = true;
    try {
      await this.#ctx.core.deleteNamespacedPod({
        name: meta.name ?? '',
        namespace: meta.namespace ?? '',
        // With a body the API server ignores query parameters: the grace period goes in the body.
        body: { gracePeriodSeconds: 0, preconditions: { uid: meta.uid } },
      });
      this.#ctx.log.info(`pod ${this.#key} deleted after ${Date.now() - startedAt} ms`);
    } catch (error) {
      const status = apiStatus(error);
      if (status !== 404 && status !== 409) this.#ctx.log.warn(`final delete of ${this.#key} failed: ${describeApiError(error)}`);
    }
    this.#release();
  }
}
