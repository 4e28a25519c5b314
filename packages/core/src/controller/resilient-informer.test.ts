import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../provider.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { ResilientInformer } from './resilient-informer.ts';

type Handler = (arg?: unknown) => void;

/** A stand-in for client-node's ListWatch: records start/stop and lets the test emit events. */
class ScriptedInformer {
  readonly handlers = new Map<string, Handler[]>();
  starts = 0;
  stops = 0;
  failFirstList = false;
  on(verb: string, cb: Handler): void {
    this.handlers.set(verb, [...(this.handlers.get(verb) ?? []), cb]);
  }
  off(): void {}
  emit(verb: string, arg?: unknown): void {
    for (const h of this.handlers.get(verb) ?? []) h(arg);
  }
  async start(): Promise<void> {
    this.starts += 1;
    if (this.failFirstList && this.starts === 1) this.emit('error', new Error('connect ECONNREFUSED'));
  }
  async stop(): Promise<void> {
    this.stops += 1;
  }
  get(): undefined {
    return undefined;
  }
  list(): never[] {
    return [];
  }
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const flush = () => new Promise((r) => setImmediate(r));

function make(clock: FakeClock, informer: ScriptedInformer, seen: string[] = []) {
  return new ResilientInformer<k8s.V1Pod>({
    name: 'pods',
    informer: informer as unknown as k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>,
    clock,
    log: quiet,
    stallMs: 60_000,
    onChange: (o, verb) => seen.push(`${verb} ${o.metadata?.name}`),
  });
}

test('a watch error (API server restart) restarts the informer after a backoff', async () => {
  const clock = new FakeClock();
  const informer = new ScriptedInformer();
  const seen: string[] = [];
  const r = make(clock, informer, seen);
  await r.start();
  informer.emit('add', { metadata: { name: 'a' } });
  informer.emit('error', new Error('socket hang up'));
  assert.equal(informer.starts, 1);
  clock.advance(1000);
  await flush();
  assert.equal(informer.starts, 2, 'restarted');
  assert.equal(r.restarts, 1);
  informer.emit('update', { metadata: { name: 'a' } });
  assert.deepEqual(seen, ['add a', 'update a']);
  await r.stop();
});

test('a silent watch is restarted by the watchdog', async () => {
  const clock = new FakeClock();
  const informer = new ScriptedInformer();
  const r = make(clock, informer);
  await r.start();
  clock.advance(30_000);
  informer.emit('connect');
  clock.advance(45_000);
  await flush();
  assert.equal(informer.starts, 1, 'activity 45 s ago: not stalled yet');
  clock.advance(30_000);
  await flush();
  assert.equal(informer.starts, 2, 'no activity for over 60 s: relisted');
  await r.stop();
});

test('a failing first list rejects start, so the caller can report the cluster', async () => {
  const informer = new ScriptedInformer();
  informer.failFirstList = true;
  await assert.rejects(make(new FakeClock(), informer).start(), /ECONNREFUSED/);
});
