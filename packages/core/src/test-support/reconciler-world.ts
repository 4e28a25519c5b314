/**
 * The world the Reconciler's unit tests run in: fake caches and cluster, a recording provider, a
 * fake clock, and a Reconciler whose every reconcile is held against its own plan (the writes the
 * provider and the cluster received must be exactly the plan's rows, what `sluice plan` prints).
 * Not published (excluded from the build and the package files).
 */
import assert from 'node:assert/strict';
import { beforeEach } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { Caches } from '../controller/caches.ts';
import { EventRecorder } from '../controller/events.ts';
import { Reconciler, type ReconcilerOptions } from '../controller/reconciler.ts';
import { planEvents } from '../decide/describe.ts';
import type { ServicePlan } from '../decide/types.ts';
import type { Logger } from '../provider.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { type FakeCaches, FakeCluster, fakeCaches } from '../testing/fake-cluster.ts';
import { GATE, type pod, service, slice } from '../testing/fixtures.ts';
import { providerWriteRows, writesMatchPlan } from '../testing/plan-writes.ts';
import { RecordingProvider } from '../testing/recording-provider.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type TestReconciler = Pick<Reconciler, 'reconcile' | 'observePod'>;

/**
 * One describe block's world, made afresh before each test: the fixture Service `default/web`
 * in the caches, a new provider, cluster and clock, and `reconciler` on them.
 */
export class ReconcilerSuite {
  readonly key = 'default/web';
  readonly signal: AbortSignal = new AbortController().signal;
  caches!: FakeCaches;
  cluster!: FakeCluster;
  clock!: FakeClock;
  /** Replace it, then call {@link makeReconciler}, to test another provider. */
  provider!: RecordingProvider;
  reconciler!: TestReconciler;
  /** Reconciles held against their plan, over every test of the block so far. */
  planChecks = 0;

  constructor() {
    beforeEach(() => {
      this.caches = fakeCaches();
      this.caches.services.put(service() as k8s.V1Service);
      this.cluster = new FakeCluster(this.caches);
      this.clock = new FakeClock(1_000_000);
      this.provider = new RecordingProvider();
      this.reconciler = this.makeReconciler();
    });
  }

  /** Puts `pods` in the pod cache (replacing all) and one EndpointSlice of them. */
  setPods(pods: ReturnType<typeof pod>[]): void {
    for (const k of [...this.caches.pods.items.keys()]) this.caches.pods.items.delete(k);
    for (const p of pods) this.caches.pods.put(p as k8s.V1Pod);
    this.caches.endpointSlices.put(slice(pods) as k8s.V1EndpointSlice);
  }

  /** The gate condition of pod `name` in namespace `default`, as the pod cache holds it. */
  gateOf(name: string): k8s.V1PodCondition | undefined {
    return this.caches.pods.get(name, 'default')?.status?.conditions?.find((c) => c.type === GATE);
  }

  /** What the provider holds for the Service, one `pod@ip:port=weight` per backend. */
  held(): string[] {
    return this.provider.backends(this.key).map((b) => `${b.podName}@${b.ip}:${b.port}=${b.weight}`);
  }

  /** Reconciles, marks every backend healthy, lets the next health read fall due and reconciles again. */
  async converge(r: TestReconciler = this.reconciler): Promise<void> {
    await r.reconcile(this.key, this.signal);
    this.provider.setHealth(this.key, 'healthy');
    this.clock.advance(1_000); // the next health read is due
    await r.reconcile(this.key, this.signal);
  }

  /** A Reconciler on the current provider; with `check`, each finished reconcile is held against its plan. */
  makeReconciler(options: Partial<ReconcilerOptions> = {}, check = true): TestReconciler {
    const { caches, cluster, clock, provider } = this;
    let last: ServicePlan | undefined;
    // Every event the reconcile records, as `sluice plan` prints planned events.
    const emitted: string[] = [];
    const recorder = new EventRecorder({ writer: cluster, clock, log: quiet });
    const record = recorder.record.bind(recorder);
    recorder.record = (ref, type, reason, message, signal, log) => {
      emitted.push(`${type} ${reason} ${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}: ${message}`);
      return record(ref, type, reason, message, signal, log);
    };
    const inner = new Reconciler({
      provider,
      writer: cluster,
      caches: caches as Caches,
      events: recorder,
      clock,
      log: quiet,
      clusterName: 'test',
      gateConditionType: GATE,
      healthPollMs: 250,
      handleUnclassed: true,
      ...options,
      // The test's own observer keeps working; the plan is taken on the way.
      observer: {
        ...options.observer,
        planned: (p) => {
          last = p;
          options.observer?.planned?.(p);
        },
      },
    });
    return {
      observePod: (p, verb) => inner.observePod(p, verb),
      reconcile: async (k, sig) => {
        last = undefined;
        const [ns = '', name = ''] = k.split('/');
        const held = provider.exists(k) ? provider.backends(k) : undefined;
        const calls = provider.calls.length;
        const logged = cluster.log.length;
        const said = emitted.length;
        const result = await inner.reconcile(k, sig);
        if (check && last && result.kind !== 'retry') {
          const made = providerWriteRows(ns, provider.getLoadBalancerName('test', { namespace: ns, name } as never), held, provider.calls.slice(calls));
          // A backend the provider refused was planned as if it would land; its registration,
          // its gate patch and its pod's events are what the reconcile left out (the next plan reports it).
          const kept = new Set(provider.exists(k) ? provider.backends(k).map((b) => b.podName) : []);
          const refused = new Set(provider.calls.slice(calls).filter((c) => c.failed).flatMap((c) => (c.backends ?? []).map((b) => b.podName)).filter((pod) => !kept.has(pod)));
          const ofRefused = (row: string) => [...refused].some((pod) => row.startsWith(`set gate ${ns}/${pod} `) || (row.startsWith('register ') && row.endsWith(` ${ns}/${pod}`)) || row.includes(` pod/${ns}/${pod}: `));
          const { planned, made: done } = writesMatchPlan(last, made, cluster.log.slice(logged));
          assert.deepEqual(done, planned.filter((r) => !ofRefused(r)), 'the writes made are the plan printed');
          assert.deepEqual(emitted.slice(said), planEvents(last).filter((e) => !ofRefused(e)), 'the events recorded are the plan printed, in order');
          this.planChecks++;
        }
        return result;
      },
    };
  }
}

