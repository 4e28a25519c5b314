/**
 * What the provider knows of each Service's NEGs between calls, so a health poll costs one
 * listNetworkEndpoints per NEG and a backend update costs no read at all:
 *
 * - per backend service, the zone -> NEG map of its backends (it changes only when Sluice adds
 *   a zone, or by hand);
 * - per NEG, the endpoints attached, as the last listNetworkEndpoints showed them, with
 *   Sluice's own attaches and detaches since applied.
 *
 * Entries are facts learnt from Compute, never guesses. The endpoints are only as old as the
 * last health read (every one replaces them, and the core reads health before it decides any
 * registration). The NEG map is replaced whenever the backend service is read: by
 * getLoadBalancer, which the core calls at least every `lbVerifyMs`, and by every
 * ensureLoadBalancer (which reads everything); a NEG that left it takes its endpoints along.
 * Both are dropped whenever a call about them fails, so the next call reads again. A change
 * made by hand is therefore seen by the next health read (endpoints) or the next verify (the
 * backend service's NEGs).
 */
import type { protos } from '@google-cloud/compute';
import { endpointKey } from './neg-sync.ts';

type NetworkEndpoint = protos.google.cloud.compute.v1.INetworkEndpoint;

export class NegCache {
  /** Backend service name -> zone -> NEG name. */
  readonly #negs = new Map<string, ReadonlyMap<string, string>>();
  /** `zone/neg` -> endpoint key -> endpoint. */
  readonly #endpoints = new Map<string, Map<string, NetworkEndpoint>>();

  /** The backend service's NEGs by zone, if known. */
  negs(backendService: string): ReadonlyMap<string, string> | undefined {
    return this.#negs.get(backendService);
  }

  setNegs(backendService: string, negs: ReadonlyMap<string, string>): void {
    const prior = this.#negs.get(backendService);
    for (const [zone, neg] of prior ?? []) if (negs.get(zone) !== neg) this.#endpoints.delete(`${zone}/${neg}`);
    this.#negs.set(backendService, new Map(negs));
  }

  /** The NEG's endpoints as last listed (with Sluice's changes since), if known. */
  endpoints(zone: string, neg: string): NetworkEndpoint[] | undefined {
    const known = this.#endpoints.get(`${zone}/${neg}`);
    return known ? [...known.values()] : undefined;
  }

  setEndpoints(zone: string, neg: string, endpoints: readonly NetworkEndpoint[]): void {
    this.#endpoints.set(`${zone}/${neg}`, new Map(endpoints.map((e) => [endpointKey(e), e])));
  }

  /** Applies a successful attach (`attached`) or detach to what is known of the NEG. */
  changed(zone: string, neg: string, change: { readonly attached?: readonly NetworkEndpoint[]; readonly detached?: readonly NetworkEndpoint[] }): void {
    const known = this.#endpoints.get(`${zone}/${neg}`);
    if (!known) return;
    for (const e of change.detached ?? []) known.delete(endpointKey(e));
    for (const e of change.attached ?? []) known.set(endpointKey(e), e);
  }

  forgetEndpoints(zone: string, neg: string): void {
    this.#endpoints.delete(`${zone}/${neg}`);
  }

  /** Drops everything known of the backend service and its NEGs. */
  forget(backendService: string): void {
    for (const [zone, neg] of this.#negs.get(backendService) ?? []) this.#endpoints.delete(`${zone}/${neg}`);
    this.#negs.delete(backendService);
  }
}
