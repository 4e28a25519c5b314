/**
 * Events on Services and pods, deduplicated the way kubectl users expect: a repeat of the
 * same reason and message on the same object within the window bumps `count` on the
 * existing Event instead of creating a new one. Event failures are logged, never fatal:
 * an event is a report, not part of the reconcile's outcome.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../provider.ts';
import type { Clock } from '../queue/clock.ts';
import type { ClusterWriter, EventType, ObjectRef } from './cluster.ts';

export interface EventRecorderOptions {
  readonly writer: ClusterWriter;
  readonly clock: Clock;
  readonly log: Logger;
  /** Reporting component. @default 'sluice' */
  readonly component?: string;
  /** How long a repeat is folded into the existing event. @default 600_000 */
  readonly windowMs?: number;
}

interface Seen {
  name: string;
  count: number;
  at: number;
}

export class EventRecorder {
  readonly #o: Required<EventRecorderOptions>;
  readonly #seen = new Map<string, Seen>();
  #seq = 0;

  constructor(options: EventRecorderOptions) {
    this.#o = { component: 'sluice', windowMs: 600_000, ...options };
  }

  /**
   * Records an event; resolves when written or when writing failed (logged). `log` is the
   * caller's (a reconcile's logger carries its Service); the line also names the object.
   */
  async record(ref: ObjectRef, type: EventType, reason: string, message: string, signal: AbortSignal, log: Logger = this.#o.log): Promise<void> {
    const now = this.#o.clock.now();
    const key = `${ref.uid}|${type}|${reason}|${message}`;
    const seen = this.#seen.get(key);
    const at = `${ref.namespace}/${ref.name}`;
    const fields = {
      event: reason,
      object: `${ref.kind.toLowerCase()}/${at}`,
      ...(ref.kind === 'Pod' ? { pod: at, ...(ref.uid ? { podUid: ref.uid } : {}) } : { service: at }),
    };
    if (type === 'Warning') log.warn(message, fields);
    else log.info(message, fields);
    try {
      if (seen && now - seen.at < this.#o.windowMs) {
        seen.count += 1;
        seen.at = now;
        await this.#o.writer.patchEvent(ref.namespace, seen.name, seen.count, new Date(now), signal);
        return;
      }
      const name = `${ref.name}.${now.toString(16)}${(this.#seq++).toString(16)}`;
      const stamp = new Date(now);
      const event: k8s.CoreV1Event = {
        metadata: { name, namespace: ref.namespace },
        involvedObject: { kind: ref.kind, apiVersion: 'v1', namespace: ref.namespace, name: ref.name, uid: ref.uid },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        source: { component: this.#o.component },
        reportingComponent: this.#o.component,
        reportingInstance: this.#o.component,
      };
      await this.#o.writer.createEvent(event, signal);
      this.#seen.set(key, { name, count: 1, at: now });
      this.#prune(now);
    } catch (error) {
      log.debug('event not recorded', { ...fields, error: String(error) });
    }
  }

  #prune(now: number): void {
    if (this.#seen.size < 5000) return;
    for (const [k, v] of this.#seen) if (now - v.at > this.#o.windowMs) this.#seen.delete(k);
  }
}
