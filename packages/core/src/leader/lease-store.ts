/**
 * Where a leader-election Lease lives. The elector talks to this interface only, so the
 * algorithm is tested against an in-memory store and runs against the API server through
 * {@link KubeLeaseStore}.
 */
import * as k8s from '@kubernetes/client-node';
import { shareApiConnections } from '../kube/shared-connections.ts';

/** The fields of `coordination.k8s.io/v1` Lease spec the elector reads and writes. */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** Milliseconds since the epoch (microsecond precision on the wire). */
  readonly acquireTime: number;
  readonly renewTime: number;
  readonly leaseTransitions: number;
}

export interface StoredLease {
  readonly record: LeaseRecord;
  /** Optimistic-concurrency token: a write with a stale one fails with {@link LeaseConflictError}. */
  readonly resourceVersion: string;
}

/** Another writer got there first (HTTP 409 on create or replace). */
export class LeaseConflictError extends Error {
  override name = 'LeaseConflictError';
}

export interface LeaseStore {
  /** The current Lease, or undefined when it does not exist. */
  get(signal: AbortSignal): Promise<StoredLease | undefined>;
  /** Creates the Lease; {@link LeaseConflictError} when it already exists. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease>;
  /** Replaces the Lease if it still has `resourceVersion`; {@link LeaseConflictError} otherwise. */
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease>;
  /** What the store is, for log lines. */
  readonly description: string;
}

function statusOf(error: unknown): number | undefined {
  const e = error as { code?: number; statusCode?: number };
  return typeof e?.code === 'number' ? e.code : e?.statusCode;
}

function toRecord(lease: k8s.V1Lease): StoredLease {
  const s = lease.spec ?? {};
  const ms = (t: Date | string | undefined) => (t === undefined ? 0 : new Date(t).getTime());
  return {
    record: {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTime: ms(s.acquireTime as Date | string | undefined),
      renewTime: ms(s.renewTime as Date | string | undefined),
      leaseTransitions: s.leaseTransitions ?? 0,
    },
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

/** MicroTime on the wire: RFC 3339 with exactly six fractional digits, which the API server requires. */
function microTime(ms: number): k8s.V1MicroTime {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as k8s.V1MicroTime;
}

function toLease(namespace: string, name: string, record: LeaseRecord, resourceVersion?: string): k8s.V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace, name, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: microTime(record.acquireTime),
      renewTime: microTime(record.renewTime),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

/** Races a request against the signal: a renew that hangs must not hold the elector past its deadline. */
function raced<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A Lease in the API server, written with `replace` guarded by `metadata.resourceVersion`. */
export class KubeLeaseStore implements LeaseStore {
  readonly #api: k8s.CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kubeConfig: k8s.KubeConfig, namespace: string, name: string) {
    this.#api = shareApiConnections(kubeConfig).makeApiClient(k8s.CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
  }

  get description(): string {
    return `Lease ${this.#namespace}/${this.#name}`;
  }

  async get(signal: AbortSignal): Promise<StoredLease | undefined> {
    try {
      return toRecord(await raced(this.#api.readNamespacedLease({ namespace: this.#namespace, name: this.#name }), signal));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<StoredLease> {
    try {
      const body = toLease(this.#namespace, this.#name, record);
      return toRecord(await raced(this.#api.createNamespacedLease({ namespace: this.#namespace, body }), signal));
    } catch (error) {
      if (statusOf(error) === 409) throw new LeaseConflictError(`${this.description} already exists`, { cause: error });
      throw error;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<StoredLease> {
    try {
      const body = toLease(this.#namespace, this.#name, record, resourceVersion);
      return toRecord(await raced(this.#api.replaceNamespacedLease({ namespace: this.#namespace, name: this.#name, body }), signal));
    } catch (error) {
      if (statusOf(error) === 409) throw new LeaseConflictError(`${this.description} changed since it was read`, { cause: error });
      throw error;
    }
  }
}
