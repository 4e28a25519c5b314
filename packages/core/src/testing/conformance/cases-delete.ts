/**
 * Cases about ensureLoadBalancerDeleted: idempotent, an absent load balancer is success, and
 * only what the provider owns for that Service goes.
 */
import assert from 'node:assert/strict';
import type { ServiceSpecView } from '../../provider.ts';
import { addressesOf, servingAddresses } from './context.ts';
import type { CaseContext, ConformanceCase } from './types.ts';

/** Deletes the Service's load balancer twice; both must succeed, and nothing must be left. */
async function deleteTwice(ctx: CaseContext, service: ServiceSpecView, what: string): Promise<void> {
  const { provider, clusterName, signal } = ctx;
  await provider.ensureLoadBalancerDeleted(clusterName, service, signal);
  await provider.ensureLoadBalancerDeleted(clusterName, service, signal);
  assert.equal((await provider.getLoadBalancer(clusterName, service, signal)).exists, false, `${what}: the load balancer still exists after the delete`);
  assert.deepEqual(await provider.getBackendHealth(clusterName, service, signal), [], `${what}: backends are still reported after the delete`);
}

export const deleteIdempotentCase: ConformanceCase = {
  id: 'delete-idempotent',
  title: 'ensureLoadBalancerDeleted is idempotent and leaves other Services',
  async run(ctx) {
    const { provider, clusterName, signal } = ctx;
    await deleteTwice(ctx, ctx.service('never-made'), 'nothing there');
    const svc = ctx.service();
    const sibling = ctx.service('sibling');
    const siblingBackends = [ctx.backend(1)];
    await provider.ensureLoadBalancer(clusterName, svc, [ctx.backend(0)], signal);
    await provider.ensureLoadBalancer(clusterName, sibling, siblingBackends, signal);
    try {
      await deleteTwice(ctx, svc, 'after ensure');
      assert.equal((await provider.getLoadBalancer(clusterName, sibling, signal)).exists, true, "deleting one Service's load balancer deleted another Service's");
      const health = await provider.getBackendHealth(clusterName, sibling, signal);
      assert.deepEqual(servingAddresses(health), addressesOf(siblingBackends), "deleting one Service's load balancer changed another Service's backends");
    } finally {
      await provider.ensureLoadBalancerDeleted(clusterName, svc, signal).catch(() => undefined);
      await provider.ensureLoadBalancerDeleted(clusterName, sibling, signal).catch(() => undefined);
    }
  },
};

export const deleteForeignCase: ConformanceCase = {
  id: 'delete-foreign',
  title: 'ensureLoadBalancerDeleted leaves what it does not own',
  notApplicable: ({ subject }) => (subject.plantForeign ? undefined : 'the target cannot plant a foreign resource (no plantForeign hook)'),
  async run(ctx) {
    const { provider, clusterName, signal, subject } = ctx;
    const svc = ctx.service();
    await provider.ensureLoadBalancer(clusterName, svc, [ctx.backend(0)], signal);
    try {
      const foreign = await subject.plantForeign!(clusterName, svc);
      await deleteTwice(ctx, svc, `with ${foreign.description} planted`);
      assert.equal(await foreign.exists(), true, `${foreign.description} was deleted, but the provider does not own it`);
    } finally {
      await provider.ensureLoadBalancerDeleted(clusterName, svc, signal).catch(() => undefined);
    }
  },
};
