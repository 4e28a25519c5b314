/**
 * Cases about calls that must not succeed: a vendor fault surfaces as a typed Sluice error, an
 * aborted signal stops a call before it writes, and invalid input is refused before any write.
 */
import assert from 'node:assert/strict';
import { errorMessage, isRetryableError, isSluiceError, isTerminalError } from '../../errors.ts';
import { isThrottledError } from '../../provider-kit/http-failure.ts';
import { assertNoWrite, withLoadBalancer } from './cases-lifecycle.ts';
import { healthLines, writesNow } from './context.ts';
import type { ConformanceCase, FaultKind } from './types.ts';

/** What each fault kind must surface as. */
const EXPECTED: Record<FaultKind, { readonly what: string; readonly holds: (error: unknown) => boolean }> = {
  throttled: { what: 'a RetryableError whose reason ends in Throttled', holds: isThrottledError },
  unavailable: { what: 'a RetryableError that is not throttling', holds: (e) => isRetryableError(e) && !isThrottledError(e) },
  rejected: { what: 'a TerminalError', holds: isTerminalError },
};

const describe = (e: unknown) => `${(e as { name?: string } | null)?.name ?? typeof e}: ${errorMessage(e)}`;

export const errorsClassifiedCase: ConformanceCase = {
  id: 'errors-classified',
  title: 'vendor faults surface as typed Sluice errors',
  notApplicable: ({ target, subject }) =>
    !subject.injectFault || (target.faults ?? []).length === 0 ? 'the target cannot make its vendor fail (no injectFault hook or no fault kinds)' : undefined,
  async run(ctx) {
    const { provider, clusterName, signal, target, subject } = ctx;
    for (const kind of target.faults ?? []) {
      const svc = ctx.service(kind);
      await subject.injectFault!(kind);
      let thrown: unknown;
      try {
        await provider.ensureLoadBalancer(clusterName, svc, [ctx.backend(0)], signal);
      } catch (error) {
        thrown = error;
      }
      try {
        assert.notEqual(thrown, undefined, `${kind}: ensureLoadBalancer succeeded although the vendor failed`);
        assert.ok(isSluiceError(thrown), `${kind}: the provider threw a raw ${describe(thrown)}, not a Sluice error`);
        assert.ok(EXPECTED[kind].holds(thrown), `${kind}: expected ${EXPECTED[kind].what}, got ${describe(thrown)} (reason ${(thrown as { reason?: string }).reason})`);
        assert.notEqual((thrown as Error).cause, undefined, `${kind}: the vendor's error is not kept as cause`);
        // The fault was armed once: the provider recovers as soon as the vendor does.
        await provider.ensureLoadBalancer(clusterName, svc, [ctx.backend(0)], signal);
      } finally {
        await provider.ensureLoadBalancerDeleted(clusterName, svc, signal).catch(() => undefined);
      }
    }
  },
};

export const abortCase: ConformanceCase = {
  id: 'abort',
  title: 'an aborted signal is honoured, with no write',
  async run(ctx) {
    const { provider, clusterName, signal, subject } = ctx;
    const svc = ctx.service();
    const fresh = ctx.service('fresh');
    await withLoadBalancer(ctx, svc, [ctx.backend(0)], async () => {
      const health = await healthLines(provider, clusterName, svc, signal);
      const writes = writesNow(subject);
      const aborted = new AbortController();
      const reason = new Error('conformance: aborted by the caller');
      aborted.abort(reason);
      const calls: [string, () => Promise<unknown>][] = [
        ['getLoadBalancer', () => provider.getLoadBalancer(clusterName, svc, aborted.signal)],
        ['ensureLoadBalancer', () => provider.ensureLoadBalancer(clusterName, svc, [ctx.backend(0), ctx.backend(1)], aborted.signal)],
        ['ensureLoadBalancer of a new Service', () => provider.ensureLoadBalancer(clusterName, fresh, [ctx.backend(0)], aborted.signal)],
        ['updateLoadBalancer', () => provider.updateLoadBalancer(clusterName, svc, [ctx.backend(1)], aborted.signal)],
        ['getBackendHealth', () => provider.getBackendHealth(clusterName, svc, aborted.signal)],
        ['ensureLoadBalancerDeleted', () => provider.ensureLoadBalancerDeleted(clusterName, svc, aborted.signal)],
      ];
      for (const [name, call] of calls) {
        await assert.rejects(call(), (e: unknown) => e === reason, `${name} with an aborted signal did not reject with the signal's reason`);
      }
      assertNoWrite(ctx, writes, 'a call with an aborted signal');
      assert.deepEqual(await healthLines(provider, clusterName, svc, signal), health, 'a call with an aborted signal changed the backends');
      assert.equal((await provider.getLoadBalancer(clusterName, fresh, signal)).exists, false, 'an ensure with an aborted signal created a load balancer');

      // Aborted while it runs: the call may finish first, but once it settles nothing more is written.
      const during = new AbortController();
      const pending = provider.updateLoadBalancer(clusterName, svc, [ctx.backend(2)], during.signal);
      during.abort(reason);
      const outcome = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(outcome === undefined || outcome === reason, `an update aborted while running rejected with ${describe(outcome)}, not the signal's reason`);
      const settled = writesNow(subject);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assertNoWrite(ctx, settled, 'an update aborted while running, after it settled,');
    });
  },
};

export const validateCase: ConformanceCase = {
  id: 'validate',
  title: 'invalid input is refused before any write',
  notApplicable: ({ provider, target }) =>
    !provider.validate ? 'the provider has no validate()' : !target.invalidService ? 'the target names no invalid Service (no invalidService)' : undefined,
  async run(ctx) {
    const { provider, clusterName, signal, target, subject } = ctx;
    const valid = ctx.service();
    const invalid = target.invalidService!(valid);
    assert.deepEqual(provider.validate!(valid), [], 'validate refuses the valid Service the invalid one was made from');
    const problems = provider.validate!(invalid);
    assert.ok(problems.length > 0, 'validate accepts the invalid Service');
    for (const p of problems) {
      assert.ok(p.field.length > 0, `a problem names no field: ${JSON.stringify(p)}`);
      assert.ok(p.message.length > 0, `a problem has no message: ${JSON.stringify(p)}`);
    }
    const writes = writesNow(subject);
    try {
      await assert.rejects(provider.ensureLoadBalancer(clusterName, invalid, [ctx.backend(0)], signal), (e: unknown) => isTerminalError(e), 'ensureLoadBalancer of the invalid Service did not throw a TerminalError');
      assertNoWrite(ctx, writes, 'ensureLoadBalancer of the invalid Service');
      assert.equal((await provider.getLoadBalancer(clusterName, invalid, signal)).exists, false, 'ensureLoadBalancer of the invalid Service created a load balancer');
    } finally {
      await provider.ensureLoadBalancerDeleted(clusterName, invalid, signal).catch(() => undefined);
    }
  },
};
