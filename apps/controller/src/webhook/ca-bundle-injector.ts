/**
 * Keeps a MutatingWebhookConfiguration trusting this replica's generated authority: checks at
 * start and then every `intervalMs`, and patches the webhooks whose caBundle lacks it. A
 * re-applied manifest (empty caBundle) or another tool overwriting the bundle is repaired at
 * the next check. Never throws: failures are logged and retried.
 */
import type { X509Certificate } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { type Clock, errorMessage, type Logger, systemClock } from '@sluice/core';
import { caBundlePatch, patchedWebhooks } from './ca-bundle.ts';

export interface CaBundleInjectorOptions {
  readonly kubeConfig: k8s.KubeConfig;
  /** The MutatingWebhookConfiguration to keep current. */
  readonly configurationName: string;
  /** The authority the webhooks must trust. */
  readonly authority: X509Certificate;
  readonly log: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Time between checks. @default 10_000 */
  readonly intervalMs?: number;
  /** Sluice authorities a bundle keeps, ours included. @default 4 */
  readonly maxSluiceAuthorities?: number;
}

/** What one check found. */
export type InjectOutcome = 'current' | 'updated' | 'missing' | 'conflict' | 'failed';

/** Attempts per check when another writer changes the configuration between read and patch. */
const ATTEMPTS = 3;

function statusCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

export class CaBundleInjector {
  readonly #o: CaBundleInjectorOptions;
  readonly #clock: Clock;
  #api: k8s.AdmissionregistrationV1Api | undefined;
  #cancelTimer: (() => void) | undefined;
  #running: Promise<InjectOutcome> | undefined;
  #stopped = true;
  /** The last outcome logged, so a lasting state is reported once, not every check. */
  #reported: string | undefined;

  constructor(options: CaBundleInjectorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Starts checking: the first check at once, then every interval. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops checking; resolves when a check in flight has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#running;
  }

  /** One check now (also what the timer runs). */
  check(): Promise<InjectOutcome> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(ms: number): void {
    this.#cancelTimer = this.#clock.setTimer(() => {
      void this.check().then(() => {
        if (!this.#stopped) this.#schedule(this.#o.intervalMs ?? 10_000);
      });
    }, ms);
  }

  #report(key: string, log: () => void): void {
    if (this.#reported === key) return;
    this.#reported = key;
    log();
  }

  async #check(): Promise<InjectOutcome> {
    const name = this.#o.configurationName;
    this.#api ??= this.#o.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let configuration: k8s.V1MutatingWebhookConfiguration;
      try {
        configuration = await this.#api.readMutatingWebhookConfiguration({ name });
      } catch (error) {
        if (statusCode(error) === 404) {
          this.#report('missing', () => this.#o.log.warn(`MutatingWebhookConfiguration ${name} not found; its caBundle will be set once it exists`));
          return 'missing';
        }
        const message = errorMessage(error);
        this.#report(`failed:${message}`, () => this.#o.log.warn(`cannot read MutatingWebhookConfiguration ${name}; retrying`, { error: message }));
        return 'failed';
      }
      const ops = caBundlePatch(configuration, this.#o.authority, {
        now: this.#clock.now(),
        ...(this.#o.maxSluiceAuthorities ? { maxSluiceAuthorities: this.#o.maxSluiceAuthorities } : {}),
      });
      if (!ops) {
        this.#report('current', () => this.#o.log.info(`MutatingWebhookConfiguration ${name} trusts the webhook certificate`));
        return 'current';
      }
      try {
        await this.#api.patchMutatingWebhookConfiguration(
          { name, body: ops, fieldManager: 'sluice' },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
        );
        this.#reported = 'updated';
        this.#o.log.info(`set the caBundle of MutatingWebhookConfiguration ${name}`, { webhooks: patchedWebhooks(ops) });
        return 'updated';
      } catch (error) {
        const code = statusCode(error);
        // A failed `test` (another writer got there first) is 422 or 409: read again and re-plan.
        if (code === 409 || code === 422) continue;
        if (code === 404) return 'missing';
        const message = errorMessage(error);
        this.#report(`failed:${message}`, () => this.#o.log.warn(`cannot patch MutatingWebhookConfiguration ${name}; retrying`, { error: message }));
        return 'failed';
      }
    }
    this.#report('conflict', () => this.#o.log.warn(`MutatingWebhookConfiguration ${name} changed under every patch attempt; retrying`));
    return 'conflict';
  }
}
