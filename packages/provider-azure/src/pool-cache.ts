/**
 * The backend pools the provider has read or written, with their ETags, so a health poll
 * needs no load balancer GET and a pool write needs no GET before its PUT: the PUT carries
 * the remembered ETag in `If-Match`, and Azure refuses it (412) when anyone wrote since, in
 * which case the pool is read again (pool-sync.ts). Remembered pools therefore never cause a
 * blind overwrite; at worst they cost one refused PUT.
 *
 * Entries come from every load balancer GET (each pool it holds), pool GET and pool PUT
 * result. A write to one pool drops the load balancer's other pools (Azure gives a load
 * balancer's children its ETag, so theirs is stale now). A failed write drops the pool, and
 * so does a health report naming an address the remembered pool lacks. A change made by
 * hand that the health report cannot reveal (an address removed) is seen at the next load
 * balancer GET: getLoadBalancer, which the core calls at least every `lbVerifyMs`, and every
 * ensureLoadBalancer.
 */
import type { BackendAddressPool, LoadBalancer as AzureLb } from '@azure/arm-network';

export class PoolCache {
  /** Load balancer name -> pool name -> pool. */
  readonly #byLb = new Map<string, Map<string, BackendAddressPool>>();

  /** The pool as last read or written, if known. */
  get(lbName: string, poolName: string): BackendAddressPool | undefined {
    return this.#byLb.get(lbName)?.get(poolName);
  }

  /** Remembers every pool a load balancer GET (or PUT result) shows, replacing what was known of that load balancer. */
  rememberLoadBalancer(lbName: string, lb: AzureLb): void {
    const pools = new Map<string, BackendAddressPool>();
    for (const pool of lb.backendAddressPools ?? []) if (pool.name) pools.set(pool.name, pool);
    this.#byLb.set(lbName, pools);
  }

  /** Remembers a pool read on its own. */
  set(lbName: string, poolName: string, pool: BackendAddressPool): void {
    let pools = this.#byLb.get(lbName);
    if (!pools) this.#byLb.set(lbName, (pools = new Map()));
    pools.set(poolName, pool);
  }

  /** Remembers the pool a PUT returned; the load balancer's other pools now carry a stale ETag and are dropped. */
  written(lbName: string, poolName: string, pool: BackendAddressPool): void {
    this.#byLb.set(lbName, new Map([[poolName, pool]]));
  }

  forget(lbName: string, poolName?: string): void {
    if (poolName === undefined) this.#byLb.delete(lbName);
    else this.#byLb.get(lbName)?.delete(poolName);
  }
}
