import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultBox, type FaultDecision, type FaultRates } from './faults.ts';
import { seededRandom } from './seeded-random.ts';

const box = () => new FaultBox<{ code: string }>({ defaultErrorStatus: 503, defaultOperationFault: { code: 'INTERNAL' } });

describe('armed faults', () => {
  it('are consumed by the next matching requests, oldest armed first', () => {
    const f = box();
    f.throttleNext(1, 7, 'LoadBalancers_Get');
    f.failNext(2, undefined, { operation: /_List$/, method: 'get' });
    f.delayNext(1, 250);
    assert.equal(f.pending(), 4);
    assert.deepEqual(f.decide('GET', 'loadbalancers_get'), { delayMs: 0, fault: { kind: 'throttle', retryAfterSeconds: 7 } }, 'names match without regard to case');
    assert.deepEqual(f.decide('PUT', 'PublicIPAddresses_List'), { delayMs: 250, fault: undefined }, 'the method filter skips the PUT');
    assert.deepEqual(f.decide('GET', 'PublicIPAddresses_List'), { delayMs: 0, fault: { kind: 'error', status: 503 } });
    assert.deepEqual(f.decide('GET', 'LoadBalancers_List'), { delayMs: 0, fault: { kind: 'error', status: 503 } });
    assert.equal(f.decide('GET', 'LoadBalancers_List'), undefined);
    assert.equal(f.pending(), 0);
  });

  it('hold and drop requests', () => {
    const f = box();
    f.timeoutNext(1, 'a', 5_000);
    f.timeoutNext(1, 'b');
    f.dropNext(1);
    assert.deepEqual(f.decide('GET', 'a'), { delayMs: 0, fault: { kind: 'timeout', holdMs: 5_000 } });
    assert.deepEqual(f.decide('GET', 'b'), { delayMs: 0, fault: { kind: 'timeout', holdMs: Number.POSITIVE_INFINITY } });
    assert.deepEqual(f.decide('GET', 'c'), { delayMs: 0, fault: { kind: 'drop' } });
  });

  it('fail operations with the given or the default value', () => {
    const f = box();
    f.failOperation(1, { code: 'QUOTA' }, { method: 'DELETE' });
    f.failOperation();
    assert.deepEqual(f.takeOperationFault('POST', 'x'), { code: 'INTERNAL' });
    assert.deepEqual(f.takeOperationFault('DELETE', 'x'), { code: 'QUOTA' });
    assert.equal(f.takeOperationFault('DELETE', 'x'), undefined);
  });

  it('refuse a status that is not a 5xx', () => {
    assert.throws(() => box().failNext(1, 404), /failNext takes a 5xx status, not 404/);
  });

  it('are disarmed by clear, with the rates', () => {
    const f = box();
    f.dropNext(3);
    f.setRates({ drop: { probability: 1 } });
    f.clear();
    assert.equal(f.pending(), 0);
    assert.equal(f.decide('GET', 'x'), undefined);
  });
});

describe('faults at a rate', () => {
  const draw = (rates: FaultRates, n: number, op = 'op'): (FaultDecision | undefined)[] => {
    const f = box();
    f.setRates(rates);
    return Array.from({ length: n }, () => f.decide('GET', op));
  };
  const rates: FaultRates = { seed: 42, latency: { probability: 0.3, ms: 40 }, error: { probability: 0.2 }, timeout: { probability: 0.1 }, drop: { probability: 0.1 } };

  it('fault the same requests for the same seed', () => {
    assert.deepEqual(draw(rates, 200), draw(rates, 200));
    assert.notDeepEqual(draw(rates, 200), draw({ ...rates, seed: 43 }, 200));
  });

  it('hit about the given share of requests', () => {
    const out = draw(rates, 4_000);
    const share = (pred: (d: FaultDecision | undefined) => boolean) => out.filter(pred).length / out.length;
    const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 0.03, `${what}: ${actual} vs ${expected}`);
    near(share((d) => d?.fault?.kind === 'error'), 0.2, 'errors');
    near(share((d) => d?.fault?.kind === 'timeout'), 0.1, 'timeouts');
    near(share((d) => d?.fault?.kind === 'drop'), 0.1, 'drops');
    near(share((d) => (d?.delayMs ?? 0) === 40), 0.3, 'latency');
    assert.ok(out.every((d) => d?.fault?.kind !== 'error' || d.fault.status === 503), 'errors take the server default status');
  });

  it('draw twice per request, so one request never shifts the next one', () => {
    const random = seededRandom(9);
    const expected = Array.from({ length: 50 }, () => {
      random();
      return random() < 0.5;
    });
    assert.deepEqual(
      draw({ seed: 9, drop: { probability: 0.5 } }, 50).map((d) => d?.fault?.kind === 'drop'),
      expected,
    );
  });

  it('apply only to matching requests, and armed faults come first', () => {
    const f = box();
    f.setRates({ drop: { probability: 1 }, match: 'DescribeTargetHealth' });
    f.failNext(1, 500, 'DescribeTargetHealth');
    assert.equal(f.decide('POST', 'RegisterTargets'), undefined);
    assert.deepEqual(f.decide('POST', 'DescribeTargetHealth')?.fault, { kind: 'error', status: 500 });
    assert.deepEqual(f.decide('POST', 'DescribeTargetHealth')?.fault, { kind: 'drop' });
    f.setRates(undefined);
    assert.equal(f.decide('POST', 'DescribeTargetHealth'), undefined);
  });

  it('refuse rates that cannot be', () => {
    assert.throws(() => box().setRates({ drop: { probability: 1.5 } }), /drop\.probability must be between 0 and 1, got 1\.5/);
    assert.throws(() => box().setRates({ error: { probability: 0.6 }, drop: { probability: 0.6 } }), /must add up to at most 1, got 1\.2/);
    assert.throws(() => box().setRates({ error: { probability: 0.1, status: 429 } }), /error\.status must be a 5xx, got 429/);
  });
});
