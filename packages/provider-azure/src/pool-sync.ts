/**
 * Converges one IP-based backend pool to a wanted address list. Azure has no per-address
 * operation: the whole pool is PUT. The write is a read-modify-write guarded by the pool's
 * ETag, so a concurrent writer (another Sluice replica mid-failover, a person in the
 * portal, a load balancer PUT) is never overwritten blindly:
 *
 * 1. take the pool (its addresses and ETag) as last read or written (pool-cache.ts), else GET it;
 * 2. if it already holds exactly the wanted list, stop: no write;
 * 3. PUT the whole pool with `If-Match: <etag>` and wait for the operation to finish;
 * 4. on 412 (someone else wrote since that ETag) GET the pool and go back to 2, at most
 *    {@link MAX_CONFLICT_RETRIES} times, then give up with a RetryableError for the work
 *    queue to back off.
 *
 * Sluice owns only the addresses named `sluice-ip-*`; every other address in the pool is
 * written back exactly as read, so another writer's addresses are never lost, whether it
 * wrote long before or between this read and PUT (the 412 makes this loop re-read them).
 */
import type { BackendAddressPool, LoadBalancerBackendAddress } from '@azure/arm-network';
import { RetryableError } from '@sluice/core';
import type { AzureApi } from './azure-api.ts';
import { httpStatus } from './errors.ts';
import { isSluiceAddress } from './names.ts';
import type { PoolCache } from './pool-cache.ts';
import { sameAddresses, writableAddress } from './pool-spec.ts';

export const MAX_CONFLICT_RETRIES = 3;

export type PoolSyncResult = 'unchanged' | 'written';

export async function syncPool(
  api: AzureApi,
  pools: PoolCache,
  lbName: string,
  poolName: string,
  wanted: readonly LoadBalancerBackendAddress[],
  signal: AbortSignal,
): Promise<PoolSyncResult> {
  const resource = `${lbName}/${poolName}`;
  let conflict: unknown;
  try {
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      // A remembered pool without an ETag cannot guard a write: read it.
      const known = attempt === 0 ? pools.get(lbName, poolName) : undefined;
      const pool: BackendAddressPool =
        known?.etag !== undefined
          ? known
          : await api.call('backendAddressPools.get', resource, signal, (o) => api.client.loadBalancerBackendAddressPools.get(api.resourceGroup, lbName, poolName, o));
      pools.set(lbName, poolName, pool);
      const current = pool.loadBalancerBackendAddresses ?? [];
      if (sameAddresses(current.filter(isSluiceAddress), wanted)) return 'unchanged';
      const others = current.filter((a) => !isSluiceAddress(a)).map(writableAddress);
      const body: BackendAddressPool = { name: poolName, loadBalancerBackendAddresses: [...others, ...wanted] };
      if (pool.drainPeriodInSeconds !== undefined) body.drainPeriodInSeconds = pool.drainPeriodInSeconds;
      try {
        const written = await api.lro('backendAddressPools.createOrUpdate', resource, signal, (o) =>
          api.client.loadBalancerBackendAddressPools.createOrUpdate(api.resourceGroup, lbName, poolName, body, {
            ...o,
            ...(pool.etag ? { requestOptions: { headers: { 'If-Match': pool.etag } } } : {}),
          }),
        );
        pools.written(lbName, poolName, written);
        return 'written';
      } catch (error) {
        if (httpStatus(error) !== 412) throw error;
        conflict = error;
      }
    }
  } catch (error) {
    pools.forget(lbName, poolName);
    throw error;
  }
  pools.forget(lbName, poolName);
  throw new RetryableError(
    `Backend pool ${poolName} of load balancer ${lbName} changed under Sluice ${MAX_CONFLICT_RETRIES + 1} times in a row (ETag conflict); will try again.`,
    { cause: conflict, reason: 'AzureConflict' },
  );
}
