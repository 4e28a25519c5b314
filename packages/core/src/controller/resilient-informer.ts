/**
 * An informer that keeps its cache alive through everything a watch meets in production.
 * client-node's ListWatch relists on 410 Gone and resumes after the watch's own timeout, but
 * on any other error (API server restart, connection reset, 5xx) it emits `error` and
 * stops. This wrapper restarts it with capped exponential backoff, and a watchdog restarts
 * a watch that has gone silent (no event and no reconnect for `stallMs`).
 */
import type * as k8s from '@kubernetes/client-node';
import { dropManagedFields } from '../kube/paged-list.ts';
import type { Logger } from '../provider.ts';
import { Backoff } from '../queue/backoff.ts';
import type { Clock } from '../queue/clock.ts';

export interface ResilientInformerOptions<T extends k8s.KubernetesObject> {
  readonly name: string;
  readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Restart a watch with no event and no reconnect for this long. @default 120_000 */
  readonly stallMs?: number;
  /** Called on every add, update and delete. */
  readonly onChange: (obj: T, verb: 'add' | 'update' | 'delete') => void;
}

export class ResilientInformer<T extends k8s.KubernetesObject> {
  readonly #o: ResilientInformerOptions<T>;
  readonly #backoff = new Backoff({ baseMs: 500, maxMs: 30_000 });
  #lastActivity = 0;
  #stopped = true;
  #cancelWatchdog: (() => void) | undefined;
  #cancelRestart: (() => void) | undefined;
  #restarts = 0;

  constructor(options: ResilientInformerOptions<T>) {
    this.#o = options;
  }

  get cache(): k8s.ObjectCache<T> {
    return this.#o.informer;
  }

  /** Times the watch was restarted after an error or a stall. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Lists and starts watching; rejects if the first list fails (the caller reports it). */
  async start(): Promise<void> {
    const { informer } = this.#o;
    this.#stopped = false;
    informer.on('add', (o) => this.#changed(o, 'add'));
    informer.on('update', (o) => this.#changed(o, 'update'));
    informer.on('delete', (o) => this.#changed(o, 'delete'));
    informer.on('connect', () => this.#touch());
    // ListWatch.start() resolves even when its first list fails (it reports `error` instead):
    // capture that, so a caller learns at start that the cluster cannot be listed.
    let startError: unknown;
    let starting = true;
    informer.on('error', (err) => {
      if (starting) startError ??= err ?? new Error(`listing ${this.#o.name} failed`);
      else this.#onError(err);
    });
    this.#touch();
    try {
      await informer.start();
    } finally {
      starting = false;
    }
    if (startError !== undefined) {
      await informer.stop();
      throw startError;
    }
    this.#armWatchdog();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelWatchdog?.();
    this.#cancelRestart?.();
    await this.#o.informer.stop();
  }

  #changed(obj: T, verb: 'add' | 'update' | 'delete'): void {
    this.#touch();
    // `obj` is the object the cache holds: it keeps no managedFields (never read, often half its size).
    this.#o.onChange(dropManagedFields(obj), verb);
  }

  #touch(): void {
    this.#lastActivity = this.#o.clock.now();
  }

  #onError(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#backoff.next('watch');
    this.#o.log.warn(`watch of ${this.#o.name} failed; restarting in ${Math.round(delay)} ms`, { error: String((err as Error)?.message ?? err) });
    this.#scheduleRestart(delay);
  }

  #scheduleRestart(delay: number): void {
    this.#cancelRestart?.();
    this.#cancelRestart = this.#o.clock.setTimer(() => {
      void this.#restart();
    }, delay);
  }

  async #restart(): Promise<void> {
    if (this.#stopped) return;
    this.#restarts += 1;
    try {
      await this.#o.informer.stop();
      await this.#o.informer.start();
      this.#backoff.forget('watch');
      this.#touch();
    } catch (err) {
      this.#onError(err);
    }
  }

  #armWatchdog(): void {
    const stallMs = this.#o.stallMs ?? 120_000;
    const check = () => {
      if (this.#stopped) return;
      if (this.#o.clock.now() - this.#lastActivity > stallMs) {
        this.#o.log.warn(`watch of ${this.#o.name} silent for ${stallMs} ms; relisting`);
        this.#touch();
        void this.#restart();
      }
      this.#cancelWatchdog = this.#o.clock.setTimer(check, Math.max(1000, stallMs / 4));
    };
    this.#cancelWatchdog = this.#o.clock.setTimer(check, Math.max(1000, stallMs / 4));
  }
}
