/**
 * Leader election on a Lease, the way Kubernetes components do it: one replica holds the
 * Lease and renews it every retry period; the others watch the record and take over only
 * after it has not changed for a whole lease duration (measured on their own clock, so
 * no clock skew between replicas matters).
 *
 * The safety argument, step by step:
 * 1. Every write to the Lease is a replace guarded by `resourceVersion`, so two candidates
 *    can never both believe they won the same round.
 * 2. The leader gives up (aborts its work and stops writing) once `renewDeadline` has passed
 *    since the start of its last successful renew, even while a renew request still hangs.
 * 3. A standby acquires only `leaseDuration` after it last saw the record change.
 *    `renewDeadline < leaseDuration`, so the old leader has stopped before anyone can start.
 *    After a crash the standby takes over at most leaseDuration + 2 x 1.2 x retryPeriod
 *    later: one poll to see the last renew, the lease duration, one poll to see it expired.
 */
import { errorMessage } from '../errors.ts';
import type { Logger } from '../provider.ts';
import { type Clock, systemClock } from '../queue/clock.ts';
import { LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from './lease-store.ts';

/** The abort reason of the leading signal when the Lease was lost: stop at once, do not finish work. */
export class LeadershipLostError extends Error {
  override name = 'LeadershipLostError';
}

/** The abort reason of the leading signal on a clean stop: finish in-flight work, then return. */
export class LeadershipReleasedError extends Error {
  override name = 'LeadershipReleasedError';
}

export function isLeadershipLost(reason: unknown): boolean {
  return reason instanceof LeadershipLostError || (reason as Error | undefined)?.name === 'LeadershipLostError';
}

export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  /** This replica's holder identity; must be unique among the candidates. */
  readonly identity: string;
  /** How long a standby waits after the last change it saw before it takes over. @default 15_000 */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up. @default 10_000 */
  readonly renewDeadlineMs?: number;
  /** Time between attempts (standbys add up to 20% jitter). @default 2_000 */
  readonly retryPeriodMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  readonly log: Logger;
  /** Called on every change of leadership, with the new state. */
  readonly onChange?: (leading: boolean) => void;
  /** @default Math.random */
  readonly random?: () => number;
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectorOptions, 'onChange'>> & Pick<LeaderElectorOptions, 'onChange'>;
  #leading = false;
  #observed: StoredLease | undefined;
  #observedAt = 0;

  constructor(options: LeaderElectorOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? 15_000;
    const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    const retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(renewDeadlineMs < leaseDurationMs && retryPeriodMs < renewDeadlineMs)) {
      throw new RangeError(`leader election needs retry period (${retryPeriodMs} ms) < renew deadline (${renewDeadlineMs} ms) < lease duration (${leaseDurationMs} ms).`);
    }
    this.#o = { clock: systemClock, random: Math.random, ...options, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  }

  /** True while this replica may write. Turns false the moment the renew deadline passes. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder this replica last saw on the Lease ('' when released). */
  get observedHolder(): string | undefined {
    return this.#observed?.record.holderIdentity;
  }

  /**
   * Campaigns until `signal` aborts. Each time this replica wins, calls `lead` with a signal
   * that aborts with {@link LeadershipLostError} when the Lease is lost (stop now) or with
   * {@link LeadershipReleasedError} when `signal` aborts (finish, then return). After a loss
   * it campaigns again; after a stop it waits for `lead` and releases the Lease so a standby
   * takes over at once. Rejects only if `lead` rejects (after releasing).
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    const o = this.#o;
    while (!signal.aborted) {
      if (!(await this.#acquire(signal))) return;
      const leading = new AbortController();
      // Aborted only when the Lease is lost: renewing goes on through a clean stop, so work
      // that is finishing keeps a valid Lease until it returns and the Lease is released.
      const lost = new AbortController();
      let lastRenew = o.clock.now();
      let cancelDeadline = () => {};
      const lose = (why: string) => {
        if (!this.#leading) return;
        this.#setLeading(false);
        o.log.warn('leader election: lost the lease, stopping all writes', { lease: o.store.description, identity: o.identity, reason: why });
        const reason = new LeadershipLostError(`lost ${o.store.description}: ${why}`);
        lost.abort(reason);
        if (!leading.signal.aborted) leading.abort(reason);
      };
      const armDeadline = () => {
        cancelDeadline();
        cancelDeadline = o.clock.setTimer(() => lose(`not renewed within ${o.renewDeadlineMs} ms`), lastRenew + o.renewDeadlineMs - o.clock.now());
      };
      const stop = () => {
        if (!leading.signal.aborted) leading.abort(new LeadershipReleasedError('stopping'));
      };
      this.#setLeading(true);
      o.log.info('leader election: acquired the lease', { lease: o.store.description, identity: o.identity });
      armDeadline();
      let failure: unknown;
      let done = false;
      const led = lead(leading.signal)
        .catch((error: unknown) => {
          failure = error ?? new Error('lead failed');
        })
        .finally(() => {
          done = true;
        });
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) stop();

      // Renew until the Lease is lost or the work returns (by itself, or after a stop).
      while (this.#leading && !done) {
        await this.#sleep(o.retryPeriodMs, [lost.signal], led);
        if (!this.#leading || done) break;
        const started = o.clock.now();
        const attempt = AbortSignal.any([lost.signal, this.#timeout(lastRenew + o.renewDeadlineMs - started)]);
        try {
          if (await this.#tryAcquireOrRenew(attempt)) {
            lastRenew = started;
            if (this.#leading) armDeadline();
          } else {
            lose(`now held by ${this.observedHolder || '(nobody)'}`);
          }
        } catch (error) {
          if (this.#leading) o.log.warn('leader election: renew failed, retrying', { lease: o.store.description, error: errorMessage(error) });
        }
      }
      signal.removeEventListener('abort', stop);
      await led;
      cancelDeadline();
      if (this.#leading) {
        await this.#release();
        this.#setLeading(false);
      }
      if (failure !== undefined) throw failure;
      if (!signal.aborted && !lost.signal.aborted) return; // lead returned by itself
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    this.#o.onChange?.(leading);
  }

  /** Tries every retry period (jittered) until this replica holds the Lease; false if stopped first. */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    const o = this.#o;
    let lastHolder: string | undefined;
    let lastError: string | undefined;
    while (!signal.aborted) {
      try {
        if (await this.#tryAcquireOrRenew(AbortSignal.any([signal, this.#timeout(o.retryPeriodMs * 2)]))) return true;
        const holder = this.observedHolder;
        if (holder !== lastHolder) {
          o.log.info('leader election: standing by', { lease: o.store.description, identity: o.identity, holder });
          lastHolder = holder;
        }
        lastError = undefined;
      } catch (error) {
        const message = errorMessage(error);
        if (!signal.aborted && message !== lastError) o.log.warn('leader election: cannot read or write the lease, retrying', { lease: o.store.description, error: message });
        lastError = message;
      }
      // Small jitter: a standby's takeover after a crash is bounded by the lease duration plus
      // two of its polls (one to see the last renew, one to see it expire).
      await this.#sleep(o.retryPeriodMs * (1 + o.random() * 0.2), [signal]);
    }
    return false;
  }

  /**
   * One round: read the Lease; take it if it is ours, free, missing or expired by our own
   * observation; else remember what we saw. True when this replica holds it afterwards.
   */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const o = this.#o;
    const now = o.clock.now();
    const current = await o.store.get(signal);
    const wanted = (prev: LeaseRecord | undefined): LeaseRecord => {
      const mine = prev?.holderIdentity === o.identity;
      return {
        holderIdentity: o.identity,
        leaseDurationSeconds: Math.ceil(o.leaseDurationMs / 1000),
        acquireTime: mine && prev ? prev.acquireTime : now,
        renewTime: now,
        leaseTransitions: prev === undefined ? 0 : mine ? prev.leaseTransitions : prev.leaseTransitions + 1,
      };
    };
    try {
      if (current === undefined) {
        this.#observe(await o.store.create(wanted(undefined), signal), now);
        return true;
      }
      this.#observe(current, now);
      const r = current.record;
      const heldByOther = r.holderIdentity !== '' && r.holderIdentity !== o.identity;
      if (heldByOther && this.#observedAt + r.leaseDurationSeconds * 1000 > now) return false;
      this.#observe(await o.store.update(wanted(r), current.resourceVersion, signal), now);
      return true;
    } catch (error) {
      if (error instanceof LeaseConflictError || (error as Error)?.name === 'LeaseConflictError') return false;
      throw error;
    }
  }

  /** Records what we saw; the expiry clock restarts only when the record itself changed. */
  #observe(lease: StoredLease, now: number): void {
    const prev = this.#observed?.record;
    const r = lease.record;
    const changed = !prev || prev.holderIdentity !== r.holderIdentity || prev.renewTime !== r.renewTime || prev.leaseTransitions !== r.leaseTransitions;
    this.#observed = lease;
    if (changed) this.#observedAt = now;
  }

  /** Hands the Lease back (holder '', duration 1 s) so a standby need not wait for it to expire. */
  async #release(): Promise<void> {
    const o = this.#o;
    try {
      const current = await o.store.get(this.#timeout(o.retryPeriodMs * 2));
      if (!current || current.record.holderIdentity !== o.identity) return;
      await o.store.update({ ...current.record, holderIdentity: '', leaseDurationSeconds: 1, renewTime: o.clock.now() }, current.resourceVersion, this.#timeout(o.retryPeriodMs * 2));
      o.log.info('leader election: released the lease', { lease: o.store.description, identity: o.identity });
    } catch (error) {
      o.log.warn('leader election: could not release the lease; a standby takes over when it expires', { lease: o.store.description, error: errorMessage(error) });
    }
  }

  /** A signal that aborts after `ms` on the injected clock. */
  #timeout(ms: number): AbortSignal {
    const c = new AbortController();
    this.#o.clock.setTimer(() => c.abort(new Error(`timed out after ${Math.round(ms)} ms`)), Math.max(0, ms));
    return c.signal;
  }

  /** Waits `ms` on the injected clock, or less if a signal aborts or `until` settles. */
  #sleep(ms: number, signals: readonly AbortSignal[], until?: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        cancel();
        for (const s of signals) s.removeEventListener('abort', finish);
        resolve();
      };
      const cancel = this.#o.clock.setTimer(finish, ms);
      for (const s of signals) {
        if (s.aborted) return finish();
        s.addEventListener('abort', finish, { once: true });
      }
      void until?.then(finish, finish);
    });
  }
}
