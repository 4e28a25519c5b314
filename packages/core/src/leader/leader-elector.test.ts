import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { isLeadershipLost, LeaderElector } from './leader-elector.ts';
import { LeaseConflictError, type LeaseRecord, type LeaseStore, type StoredLease } from './lease-store.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** An in-memory Lease with the API server's optimistic concurrency; can be partitioned away. */
class MemoryLeaseStore implements LeaseStore {
  readonly description = 'Lease test/sluice';
  lease: StoredLease | undefined;
  rv = 0;
  /** Identities whose requests never answer (a network partition). */
  readonly partitioned = new Set<string>();
  readonly writes: { by: string; record: LeaseRecord }[] = [];

  forIdentity(id: string): LeaseStore {
    const wait = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    return {
      description: this.description,
      get: async (signal) => (this.partitioned.has(id) ? wait(signal) : this.lease),
      create: async (record, signal) => {
        if (this.partitioned.has(id)) return wait(signal);
        if (this.lease) throw new LeaseConflictError('exists');
        return this.#write(id, record);
      },
      update: async (record, resourceVersion, signal) => {
        if (this.partitioned.has(id)) return wait(signal);
        if (!this.lease || this.lease.resourceVersion !== resourceVersion) throw new LeaseConflictError('stale');
        return this.#write(id, record);
      },
    };
  }

  get(): Promise<StoredLease | undefined> {
    return Promise.resolve(this.lease);
  }
  create(): Promise<StoredLease> {
    throw new Error('use forIdentity');
  }
  update(): Promise<StoredLease> {
    throw new Error('use forIdentity');
  }

  #write(by: string, record: LeaseRecord): StoredLease {
    this.writes.push({ by, record });
    this.lease = { record, resourceVersion: String(++this.rv) };
    return this.lease;
  }
}

/** Lets promise chains run between fake-clock steps. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

interface Candidate {
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  /** Leading signals handed to `lead`, with their abort reasons. */
  terms: AbortSignal[];
}

function candidate(store: MemoryLeaseStore, clock: FakeClock, id: string, finishMs = 0): Candidate {
  const elector = new LeaderElector({ store: store.forIdentity(id), identity: id, clock, log: quiet, random: () => 0, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  const stop = new AbortController();
  const terms: AbortSignal[] = [];
  const done = elector.run(stop.signal, async (leading) => {
    terms.push(leading);
    await new Promise<void>((r) => leading.addEventListener('abort', () => r(), { once: true }));
    if (finishMs > 0) await new Promise<void>((r) => clock.setTimer(r, finishMs));
  });
  return { elector, stop, done, terms };
}

describe('LeaderElector', () => {
  test('one of two candidates leads; the Lease records it', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    await advance(clock, 5_000);
    assert.equal(a.elector.isLeader, true);
    assert.equal(b.elector.isLeader, false);
    assert.equal(store.lease?.record.holderIdentity, 'a');
    assert.equal(b.elector.observedHolder, 'a');
    assert.ok(store.writes.every((w) => w.by === 'a'), 'the standby never wrote a valid lease away');
    a.stop.abort();
    b.stop.abort();
    await advance(clock, 3_000);
    await Promise.all([a.done, b.done]);
  });

  test('a dead leader is replaced only after the lease duration, measured on the standby clock', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a');
    await advance(clock, 1_000);
    const b = candidate(store, clock, 'b');
    await advance(clock, 3_000);
    assert.equal(a.elector.isLeader, true);
    // "SIGKILL": a stops talking to the store for good.
    store.partitioned.add('a');
    const killedAt = clock.now();
    let takeover: number | undefined;
    let aStoppedAt: number | undefined;
    for (let t = 0; t < 30_000 && takeover === undefined; t += 100) {
      await advance(clock, 100);
      if (aStoppedAt === undefined && !a.elector.isLeader) aStoppedAt = clock.now();
      if (b.elector.isLeader) takeover = clock.now();
    }
    assert.ok(takeover !== undefined, 'b took over');
    assert.ok(aStoppedAt !== undefined && aStoppedAt < takeover!, 'a stopped writing before b started');
    assert.ok(aStoppedAt! - killedAt <= 10_000, `a gave up within the renew deadline (${aStoppedAt! - killedAt} ms)`);
    assert.ok(takeover! - killedAt >= 15_000 - 2_000, `b waited for the lease to expire (${takeover! - killedAt} ms)`);
    assert.ok(isLeadershipLost(a.terms[0]?.reason), 'a was told it lost the lease');
    assert.equal(store.lease?.record.holderIdentity, 'b');
    assert.equal(store.lease?.record.leaseTransitions, 1);
    a.stop.abort();
    b.stop.abort();
    await advance(clock, 3_000);
  });

  test('a leader that cannot renew stops at the renew deadline even if its requests hang', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    const changes: [number, boolean][] = [];
    const elector = new LeaderElector({
      store: store.forIdentity('a'),
      identity: 'a',
      clock,
      log: quiet,
      random: () => 0,
      onChange: (l) => changes.push([clock.now(), l]),
    });
    const stop = new AbortController();
    const done = elector.run(stop.signal, (leading) => new Promise((r) => leading.addEventListener('abort', () => r(), { once: true })));
    await advance(clock, 2_500);
    assert.equal(elector.isLeader, true);
    const lastGoodRenew = store.lease!.record.renewTime;
    store.partitioned.add('a');
    await advance(clock, 12_000);
    assert.equal(elector.isLeader, false);
    const lostAt = changes.find(([, l]) => !l)?.[0];
    assert.ok(lostAt !== undefined && lostAt - lastGoodRenew <= 10_000, `gave up ${lostAt! - lastGoodRenew} ms after its last renew`);
    // The partition heals: it campaigns again and, the lease being its own, resumes.
    store.partitioned.delete('a');
    await advance(clock, 6_000);
    assert.equal(elector.isLeader, true);
    stop.abort();
    await advance(clock, 3_000);
    await done;
  });

  test('a clean stop lets in-flight work finish, then releases so the standby takes over at once', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    const a = candidate(store, clock, 'a', 1_500);
    await advance(clock, 500);
    const b = candidate(store, clock, 'b');
    await advance(clock, 4_000);
    assert.equal(a.elector.isLeader, true);
    a.stop.abort();
    await advance(clock, 1_000);
    assert.equal(a.elector.isLeader, true, 'still leader while work finishes');
    assert.equal(a.terms[0]?.reason?.name, 'LeadershipReleasedError');
    await advance(clock, 1_000);
    await a.done;
    assert.equal(a.elector.isLeader, false);
    assert.equal(store.lease?.record.holderIdentity === '' || store.lease?.record.holderIdentity === 'b', true);
    const releasedAt = clock.now();
    let takeover: number | undefined;
    for (let t = 0; t < 10_000 && takeover === undefined; t += 100) {
      await advance(clock, 100);
      if (b.elector.isLeader) takeover = clock.now();
    }
    assert.ok(takeover !== undefined && takeover - releasedAt <= 2_000 * 1.2 + 200, `standby took over ${takeover! - releasedAt} ms after the release`);
    b.stop.abort();
    await advance(clock, 3_000);
  });

  test('a clean stop keeps renewing while slow work finishes, past the renew deadline, then releases', async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryLeaseStore();
    // Work that needs 25 s after the stop: longer than the 10 s renew deadline.
    const a = candidate(store, clock, 'a', 25_000);
    await advance(clock, 3_000);
    assert.equal(a.elector.isLeader, true);
    a.stop.abort();
    await advance(clock, 20_000);
    assert.equal(a.elector.isLeader, true, 'still the leader while the work finishes');
    assert.equal(store.lease?.record.holderIdentity, 'a');
    assert.ok(clock.now() - store.lease!.record.renewTime <= 2_000, 'the lease was renewed during the stop');
    await advance(clock, 7_000);
    await a.done;
    assert.equal(a.elector.isLeader, false);
    assert.equal(store.lease?.record.holderIdentity, '', 'released');
  });

  test('rejects timings that would let two leaders overlap', () => {
    assert.throws(
      () => new LeaderElector({ store: new MemoryLeaseStore(), identity: 'a', log: quiet, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
      /retry period \(2000 ms\) < renew deadline \(10000 ms\) < lease duration \(10000 ms\)/,
    );
  });
});
