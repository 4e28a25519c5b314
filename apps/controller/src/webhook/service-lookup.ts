/**
 * The Services the webhook decides from: an informer over Services in all namespaces,
 * kept alive through watch failures by the core's ResilientInformer. Every replica runs
 * one, leader or standby, because the API server may call any of them.
 */
import * as k8s from '@kubernetes/client-node';
import { type Clock, type Logger, ResilientInformer, SluiceError, systemClock } from '@sluice/core';
import type { ServiceLookup } from './mutate.ts';

export interface InformerServiceLookupOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly log: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Restart a watch silent for this long. @default 120_000 */
  readonly watchStallMs?: number;
}

/** The Services are not listed yet (or no longer watched). */
export class ServicesNotSyncedError extends SluiceError {
  override name = 'ServicesNotSyncedError';
}

export class InformerServiceLookup implements ServiceLookup {
  readonly #o: InformerServiceLookupOptions;
  #informer: ResilientInformer<k8s.V1Service> | undefined;
  #synced = false;
  #onAbort: (() => void) | undefined;
  #signal: AbortSignal | undefined;

  constructor(options: InformerServiceLookupOptions) {
    this.#o = options;
  }

  /** True once the first list has completed, until stop. */
  get synced(): boolean {
    return this.#synced;
  }

  /**
   * Lists the Services and starts watching them; resolves once the cache holds the first list,
   * rejects when that list fails. Stops when `signal` aborts.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#informer) throw new Error('the Service lookup is already started.');
    signal.throwIfAborted();
    const core = this.#o.kubeConfig.makeApiClient(k8s.CoreV1Api);
    const informer = new ResilientInformer<k8s.V1Service>({
      name: 'services (webhook)',
      informer: k8s.makeInformer(this.#o.kubeConfig, '/api/v1/services', () => core.listServiceForAllNamespaces()),
      clock: this.#o.clock ?? systemClock,
      log: this.#o.log,
      ...(this.#o.watchStallMs ? { stallMs: this.#o.watchStallMs } : {}),
      onChange: () => {},
    });
    this.#informer = informer;
    this.#signal = signal;
    this.#onAbort = () => void this.stop();
    signal.addEventListener('abort', this.#onAbort, { once: true });
    try {
      await informer.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#synced = !signal.aborted;
  }

  async stop(): Promise<void> {
    this.#synced = false;
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    const informer = this.#informer;
    this.#informer = undefined;
    await informer?.stop();
  }

  servicesIn(namespace: string): readonly k8s.V1Service[] {
    if (!this.#synced || !this.#informer) throw new ServicesNotSyncedError('the Service cache is not synced yet');
    return this.#informer.cache.list(namespace);
  }
}
