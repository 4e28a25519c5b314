/**
 * In-memory resources, keyed by relative name. Each stored resource is the JSON the API
 * returns for `get` (with `kind`, `id`, `selfLink`, `creationTimestamp` filled in).
 */
import { alreadyExists, notFound } from './gce-errors.ts';
import { clone, type JsonObject } from './json.ts';
import { type ResourceRef, relativeName, type ScopeKind, scopeLink, selfLink } from './resource-refs.ts';

export interface StoredResource {
  readonly ref: ResourceRef;
  body: JsonObject;
}

export class ComputeStore {
  readonly #items = new Map<string, StoredResource>();
  readonly #now: () => number;
  #nextId = 1_000_000_000_000n;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A numeric id as GCE sends it: a uint64 in a string. */
  newId(): string {
    this.#nextId += 7_919n;
    return String(this.#nextId);
  }

  timestamp(): string {
    return rfc3339(this.#now());
  }

  has(ref: ResourceRef): boolean {
    return this.#items.has(relativeName(ref));
  }

  /** Throws 404 `notFound` naming the resource. */
  get(ref: ResourceRef): StoredResource {
    const item = this.#items.get(relativeName(ref));
    if (item === undefined) throw notFound(relativeName(ref));
    return item;
  }

  find(ref: ResourceRef): StoredResource | undefined {
    return this.#items.get(relativeName(ref));
  }

  /** Throws 409 `alreadyExists`. Adds the output-only fields. */
  insert(ref: ResourceRef, kind: string, body: JsonObject): StoredResource {
    const key = relativeName(ref);
    if (this.#items.has(key)) throw alreadyExists(key);
    const stored: StoredResource = {
      ref,
      body: {
        ...clone(body),
        kind,
        id: this.newId(),
        creationTimestamp: this.timestamp(),
        name: ref.name,
        selfLink: selfLink(ref),
        ...(ref.scopeKind === 'global' ? {} : { [ref.scopeKind === 'zones' ? 'zone' : 'region']: scopeLink(ref.project, ref.scopeKind, ref.scope) }),
      },
    };
    this.#items.set(key, stored);
    return stored;
  }

  delete(ref: ResourceRef): void {
    this.#items.delete(relativeName(ref));
  }

  /** Resources of one collection in one scope, ordered by name (as the API lists them). */
  list(project: string, scopeKind: ScopeKind, scope: string, collection: string): StoredResource[] {
    const out: StoredResource[] = [];
    for (const item of this.#items.values()) {
      const r = item.ref;
      if (r.project === project && r.scopeKind === scopeKind && r.scope === scope && r.collection === collection) out.push(item);
    }
    return out.sort((a, b) => (a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0));
  }

  /** Every resource of a collection, any project or scope. */
  all(collection: string): StoredResource[] {
    return [...this.#items.values()].filter((i) => i.ref.collection === collection);
  }
}

/** GCE timestamps: RFC 3339 with milliseconds and a numeric offset, e.g. `2024-05-01T10:00:00.000-07:00`. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '-00:00');
}
