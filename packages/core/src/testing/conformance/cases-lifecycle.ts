/**
 * Cases about the life of one load balancer: what the provider declares, its names, ensure
 * twice, updates that converge, and a drain.
 */
import assert from 'node:assert/strict';
import type { Backend, ServiceSpecView } from '../../provider.ts';
import { addressesOf, addressOf, healthLines, isServing, servingAddresses, writesNow } from './context.ts';
import type { CaseContext, ConformanceCase } from './types.ts';

/** Runs `fn` with the Service's load balancer ensured; deletes it afterwards, whatever happened. */
export async function withLoadBalancer(ctx: CaseContext, service: ServiceSpecView, backends: readonly Backend[], fn: () => Promise<void>): Promise<void> {
  await ctx.provider.ensureLoadBalancer(ctx.clusterName, service, backends, ctx.signal);
  try {
    await fn();
  } finally {
    await ctx.provider.ensureLoadBalancerDeleted(ctx.clusterName, service, ctx.signal).catch(() => undefined);
  }
}

/** Asserts that the vendor saw no write since `before` (when the subject counts writes). */
export function assertNoWrite(ctx: CaseContext, before: number | undefined, what: string): void {
  if (before === undefined) return;
  assert.equal(writesNow(ctx.subject), before, `${what} made a write at the vendor`);
}

export const capabilitiesCase: ConformanceCase = {
  id: 'capabilities',
  title: 'capabilities are consistent',
  async run({ provider, target }) {
    const c = provider.capabilities;
    assert.ok(typeof provider.providerName === 'string' && provider.providerName !== '', 'providerName is empty');
    assert.ok(c.maxBatch === Number.POSITIVE_INFINITY || (Number.isInteger(c.maxBatch) && c.maxBatch >= 1), `maxBatch is ${c.maxBatch}, not a whole number of at least 1`);
    assert.equal(c.drainInPlace, c.drainMode !== 'deregister', `drainInPlace is ${c.drainInPlace} but drainMode is ${c.drainMode}`);
    assert.ok(c.protocols.length > 0, 'no protocol');
    assert.ok(c.healthCheckIntervalMs > 0, `healthCheckIntervalMs is ${c.healthCheckIntervalMs}`);
    assert.ok(c.honours.ipFamilies.length > 0, 'no IP family');
    if (c.drainInPlace) assert.notEqual(target.drain, 'absent', 'a provider that drains in place cannot report a drained backend as absent');
  },
};

export const nameCase: ConformanceCase = {
  id: 'name',
  title: 'getLoadBalancerName is stable and distinct',
  async run({ provider, clusterName, service }) {
    const a = service('a');
    const name = provider.getLoadBalancerName(clusterName, a);
    assert.ok(name.length > 0, 'the name is empty');
    assert.equal(provider.getLoadBalancerName(clusterName, { ...a, annotations: { ...a.annotations } }), name, 'the same Service got another name');
    assert.notEqual(provider.getLoadBalancerName(clusterName, service('b')), name, 'two Services got one name');
  },
};

export const ensureIdempotentCase: ConformanceCase = {
  id: 'ensure-idempotent',
  title: 'ensureLoadBalancer is idempotent',
  async run(ctx) {
    const { provider, clusterName, signal } = ctx;
    const svc = ctx.service();
    const backends = [ctx.backend(0), ctx.backend(1)];
    const first = await provider.ensureLoadBalancer(clusterName, svc, backends, signal);
    try {
      const lookup = await provider.getLoadBalancer(clusterName, svc, signal);
      assert.equal(lookup.exists, true, 'getLoadBalancer says the ensured load balancer does not exist');
      assert.deepEqual(lookup.status, first, 'getLoadBalancer reports another status than ensureLoadBalancer returned');
      const health = await healthLines(provider, clusterName, svc, signal);
      const writes = writesNow(ctx.subject);
      const second = await provider.ensureLoadBalancer(clusterName, svc, backends, signal);
      assert.deepEqual(second, first, 'a second ensure with the same input returned another status');
      assertNoWrite(ctx, writes, 'a second ensure with the same input');
      assert.deepEqual(await healthLines(provider, clusterName, svc, signal), health, 'a second ensure with the same input changed the backends');
    } finally {
      await provider.ensureLoadBalancerDeleted(clusterName, svc, signal).catch(() => undefined);
    }
  },
};

export const updateConvergesCase: ConformanceCase = {
  id: 'update-converges',
  title: 'updateLoadBalancer converges backends',
  async run(ctx) {
    const { provider, clusterName, signal } = ctx;
    const svc = ctx.service();
    const weighted = provider.capabilities.weights;
    await withLoadBalancer(ctx, svc, [ctx.backend(0), ctx.backend(1)], async () => {
      const steps: [string, Backend[]][] = [
        ['add two, remove one, reweight one', [ctx.backend(1, { weight: 3 }), ctx.backend(2), ctx.backend(3)]],
        ['remove two', [ctx.backend(2)]],
        ['add back', [ctx.backend(2), ctx.backend(4)]],
      ];
      for (const [step, wanted] of steps) {
        await provider.updateLoadBalancer(clusterName, svc, wanted, signal);
        const health = await provider.getBackendHealth(clusterName, svc, signal);
        assert.deepEqual(servingAddresses(health), addressesOf(wanted), `${step}: the serving backends are not the ones asked for`);
        for (const b of wanted) {
          const reported = health.find((h) => isServing(h) && addressOf(h) === addressOf(b));
          if (weighted) assert.equal(reported?.weight, b.weight, `${step}: ${addressOf(b)} has weight ${reported?.weight}, not ${b.weight}`);
        }
        const gone = health.filter((h) => !isServing(h)).map(addressOf);
        for (const g of gone) assert.ok(!wanted.some((b) => addressOf(b) === g), `${step}: wanted backend ${g} is reported drained`);
      }
      const writes = writesNow(ctx.subject);
      await provider.updateLoadBalancer(clusterName, svc, steps.at(-1)![1], signal);
      assertNoWrite(ctx, writes, 'an update that changes nothing');
      assert.equal((await provider.getLoadBalancer(clusterName, svc, signal)).exists, true, 'the load balancer is gone after updates');
    });
  },
};

export const drainCase: ConformanceCase = {
  id: 'drain',
  title: 'a weight-0 backend is reported drained',
  async run(ctx) {
    const { provider, clusterName, signal, target } = ctx;
    const svc = ctx.service();
    const keep = ctx.backend(0);
    const drained = ctx.backend(1, { weight: 0 });
    await withLoadBalancer(ctx, svc, [keep, ctx.backend(1)], async () => {
      await provider.updateLoadBalancer(clusterName, svc, [keep, drained], signal);
      const health = await provider.getBackendHealth(clusterName, svc, signal);
      assert.deepEqual(servingAddresses(health), [addressOf(keep)], 'the backend kept is not the only one serving');
      const reported = health.filter((h) => addressOf(h) === addressOf(drained));
      if (target.drain === 'absent') {
        assert.deepEqual(reported, [], `the drained backend is still reported (${JSON.stringify(reported)}); the target says drains are absent`);
      } else {
        assert.equal(reported.length, 1, `the drained backend is reported ${reported.length} times; the target says it stays listed`);
        assert.equal(reported[0]?.weight, 0, `the drained backend has weight ${reported[0]?.weight}`);
        if (target.drain === 'draining') assert.equal(reported[0]?.health, 'draining', `the drained backend is ${reported[0]?.health}, not draining`);
      }
      const writes = writesNow(ctx.subject);
      await provider.updateLoadBalancer(clusterName, svc, [keep, drained], signal);
      assertNoWrite(ctx, writes, 'draining a drained backend again');
    });
  },
};
