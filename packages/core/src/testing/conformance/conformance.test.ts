/**
 * The conformance suite held to itself: the RecordingProvider passes every case that applies
 * to it, and providers broken in one way each fail the case about that way (a suite that
 * cannot fail proves nothing).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RetryableError, TerminalError } from '../../errors.ts';
import type { Backend, LoadBalancer, LoadBalancerStatus, ServiceProblem, ServiceSpecView } from '../../provider.ts';
import { RecordingProvider } from '../recording-provider.ts';
import { CONFORMANCE_CASES } from './cases.ts';
import { deleteForeignCase, deleteIdempotentCase } from './cases-delete.ts';
import { abortCase, errorsClassifiedCase, validateCase } from './cases-failure.ts';
import { capabilitiesCase, drainCase, ensureIdempotentCase } from './cases-lifecycle.ts';
import { annotated, subjectOf } from './context.ts';
import { runCase, runConformance } from './run.ts';
import { conformanceTable } from './table.ts';
import type { ConformanceCase, ConformanceResult, ConformanceTarget, FaultKind } from './types.ts';

const BAD = 'example.com/recording-mode';

/** Refuses any value of the recording provider's one annotation but `fast`. */
function validate(service: ServiceSpecView): ServiceProblem[] {
  const value = service.annotations[BAD];
  if (value === undefined || value === 'fast') return [];
  return [{ field: `metadata.annotations[${BAD}]`, message: `Service ${service.namespace}/${service.name} annotation ${BAD}="${value}" is invalid: allowed is fast.` }];
}

/** The vendor answer each fault kind stands for, already typed: the recording provider has no SDK. */
function fault(kind: FaultKind): Error {
  const cause = new Error(`recorded ${kind} answer`);
  if (kind === 'throttled') return new RetryableError('recording throttled', { cause, reason: 'RecordingThrottled' });
  if (kind === 'unavailable') return new RetryableError('recording unavailable', { cause, reason: 'RecordingRetryable' });
  return new TerminalError('recording rejected', { cause, reason: 'RecordingRejected' });
}

/** The recording provider with a validate, refusing in ensure what validate refuses, as real providers do. */
class ValidatingRecording extends RecordingProvider {
  validate(service: ServiceSpecView): ServiceProblem[] {
    return validate(service);
  }

  override async ensureLoadBalancer(clusterName: string, service: ServiceSpecView, backends: readonly Backend[], signal: AbortSignal): Promise<LoadBalancerStatus> {
    signal.throwIfAborted();
    const problems = this.validate(service);
    if (problems.length > 0) throw new TerminalError(problems.map((p) => p.message).join(' '), { field: problems[0]?.field });
    return super.ensureLoadBalancer(clusterName, service, backends, signal);
  }
}

/** A target around a RecordingProvider, with `change` to break it in one way. */
function recordingTarget(name: string, change: (provider: ValidatingRecording) => LoadBalancer = (p) => p, extra: Partial<ConformanceTarget> = {}): ConformanceTarget {
  return {
    name,
    drain: 'draining',
    faults: ['throttled', 'unavailable', 'rejected'],
    invalidService: annotated(BAD, 'slow'),
    create: () => {
      const recording = new ValidatingRecording();
      return subjectOf(change(recording), { injectFault: (kind) => void recording.failNextWrites.push(fault(kind)) });
    },
    ...extra,
  };
}

/** The provider with some methods replaced; the rest delegate to it. */
function patched(provider: ValidatingRecording, methods: Partial<LoadBalancer>): LoadBalancer {
  return new Proxy(provider, {
    get: (target, prop) => {
      if (prop in methods) return methods[prop as keyof LoadBalancer];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// The recording provider owns nothing it could tell apart from a foreign resource (no tags, no
// other cluster), so the one case about that is not registered; its n/a path is held below.
const applicable = CONFORMANCE_CASES.filter((c) => c !== deleteForeignCase);
const run = runConformance([recordingTarget('recording')], { test, after, cases: applicable, report: (table) => console.log(`\n${table}\n`) });

test('the recording provider passes every case that applies; the one that does not says why', async () => {
  for (const r of run.results) assert.equal(r.status, 'pass', `${r.caseId}: ${r.detail}`);
  assert.equal(run.results.length, CONFORMANCE_CASES.length - 1);
  const foreign = await runCase(deleteForeignCase, recordingTarget('recording'));
  assert.deepEqual([foreign.status, foreign.detail], ['n/a', 'the target cannot plant a foreign resource (no plantForeign hook)']);
});

test('a provider broken in one way fails the case about it, with a sentence saying what broke', async () => {
  const never = new AbortController().signal;
  const cases: [string, ConformanceCase, ConformanceTarget, RegExp][] = [
    [
      'a delete that takes every load balancer',
      deleteIdempotentCase,
      recordingTarget('greedy', (p) =>
        patched(p, {
          ensureLoadBalancerDeleted: async (cluster, service, signal) => {
            for (const seen of new Set(p.calls.map((c) => c.service))) {
              const [namespace = '', name = ''] = seen.split('/');
              await p.ensureLoadBalancerDeleted(cluster, { ...service, namespace, name }, signal);
            }
          },
        }),
      ),
      /deleting one Service's load balancer deleted another Service's/,
    ],
    [
      'an ensure whose status changes every time',
      ensureIdempotentCase,
      recordingTarget('flaky', (p) => {
        let n = 0;
        return patched(p, {
          ensureLoadBalancer: async (c, s, b, signal): Promise<LoadBalancerStatus> => {
            await p.ensureLoadBalancer(c, s, b, signal);
            return { ingress: [{ ip: `192.0.2.${++n}` }] };
          },
        });
      }),
      /getLoadBalancer reports another status than ensureLoadBalancer returned/,
    ],
    [
      'calls that ignore an aborted signal',
      abortCase,
      recordingTarget('deaf', (p) => patched(p, { getLoadBalancer: (c, s) => p.getLoadBalancer(c, s, never) })),
      /getLoadBalancer with an aborted signal did not reject with the signal's reason/,
    ],
    [
      'raw vendor errors',
      errorsClassifiedCase,
      recordingTarget('raw', undefined, {
        create: () => {
          const recording = new RecordingProvider();
          return subjectOf(recording, { injectFault: () => void recording.failNextWrites.push(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })) });
        },
      }),
      /throttled: the provider threw a raw ThrottlingException: Rate exceeded, not a Sluice error/,
    ],
    [
      'a throttle classified as plain retryable',
      errorsClassifiedCase,
      recordingTarget('unlabelled', undefined, {
        faults: ['throttled'],
        create: () => {
          const recording = new RecordingProvider();
          return subjectOf(recording, { injectFault: () => void recording.failNextWrites.push(new RetryableError('slow down', { cause: new Error('429') })) });
        },
      }),
      /throttled: expected a RetryableError whose reason ends in Throttled, got RetryableError: slow down \(reason Retryable\)/,
    ],
    ['a drain the target says is absent', drainCase, recordingTarget('misdeclared', undefined, { drain: 'absent' }), /the target says drains are absent/],
    [
      'a drain reported as serving',
      drainCase,
      recordingTarget('undrained', (p) => patched(p, { getBackendHealth: async (c, s, signal) => (await p.getBackendHealth(c, s, signal)).map((b) => ({ ...b, weight: 1, health: 'healthy' as const })) })),
      /the backend kept is not the only one serving/,
    ],
    ['a validate that lets bad input through', validateCase, recordingTarget('lenient', (p) => patched(p, { validate: () => [] })), /validate accepts the invalid Service/],
    ['capabilities that contradict each other', capabilitiesCase, recordingTarget('confused', (p) => patched(p, { capabilities: { ...p.capabilities, drainMode: 'deregister' } })), /drainInPlace is true but drainMode is deregister/],
  ];
  for (const [name, testCase, target, message] of cases) {
    const result = await runCase(testCase, target);
    assert.equal(result.status, 'fail', `${name}: ${result.status}`);
    assert.match(result.detail ?? '', message, name);
  }
});

test('a target that cannot create its subject, or cannot clean it up, fails the case', async () => {
  const broken = await runCase(capabilitiesCase, { name: 'broken', drain: 'draining', create: () => Promise.reject(new Error('no endpoint')) });
  assert.deepEqual([broken.status, broken.detail], ['fail', 'the target could not create its subject: no endpoint']);
  const leaky = await runCase(capabilitiesCase, {
    name: 'leaky',
    drain: 'draining',
    create: () => ({ provider: new RecordingProvider(), cleanup: () => Promise.reject(new Error('server would not stop')) }),
  });
  assert.deepEqual([leaky.status, leaky.detail], ['fail', 'cleanup failed: server would not stop']);
});

test('runConformance registers one test per case and target; n/a cases are skipped with their reason', async () => {
  const registered: { name: string; fn: (t: { skip(message?: string): void }) => Promise<void> }[] = [];
  const target = recordingTarget('plain', undefined, { faults: [] });
  const suite = runConformance([target, { ...target, name: 'second' }], { test: (name, fn) => registered.push({ name, fn }), cases: [capabilitiesCase, errorsClassifiedCase] });
  assert.deepEqual(
    registered.map((r) => r.name),
    ['capabilities are consistent [plain]', 'capabilities are consistent [second]', 'vendor faults surface as typed Sluice errors [plain]', 'vendor faults surface as typed Sluice errors [second]'],
  );
  const skipped: (string | undefined)[] = [];
  for (const r of registered) await r.fn({ skip: (message) => skipped.push(message) });
  assert.deepEqual(skipped, [
    'n/a: the target cannot make its vendor fail (no injectFault hook or no fault kinds)',
    'n/a: the target cannot make its vendor fail (no injectFault hook or no fault kinds)',
  ]);
  assert.equal(suite.results.length, 4);
  assert.match(suite.table(), /^case +\| plain +\| second$/m);
});

test('the table: rows are cases, columns targets, and every cell that is not pass has a numbered note', () => {
  const cell = (caseId: string, target: string, status: ConformanceResult['status'], detail?: string): ConformanceResult => ({
    caseId,
    caseTitle: caseId === 'a' ? 'first case' : 'second case',
    target,
    status,
    ...(detail ? { detail } : {}),
    durationMs: 1,
  });
  const table = conformanceTable([cell('a', 'aws', 'pass'), cell('a', 'gcp', 'n/a', 'no hook'), cell('b', 'aws', 'fail', 'it broke')], {
    cases: [
      { id: 'a', title: 'first case' },
      { id: 'b', title: 'second case' },
    ],
    targets: ['aws', 'gcp'],
  });
  assert.equal(
    table,
    ['case        | aws      | gcp', '------------+----------+--------', 'first case  | pass     | n/a (1)', 'second case | FAIL (2) | -', '', '(1) first case [gcp]: n/a: no hook', '(2) second case [aws]: FAIL: it broke'].join('\n'),
  );
});
