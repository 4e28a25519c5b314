/**
 * Running the suite: one case on one target ({@link runCase}), or every case on every target
 * as node:test tests ({@link runConformance}), collecting one result per cell.
 */
import { errorMessage } from '../../errors.ts';
import { CONFORMANCE_CASES } from './cases.ts';
import { caseContext } from './context.ts';
import { conformanceTable } from './table.ts';
import type { ConformanceCase, ConformanceResult, ConformanceTarget } from './types.ts';

/**
 * Runs one case on a fresh subject of the target and cleans the subject up. Never throws: a
 * broken promise is a `fail` result carrying the error, a case that cannot be checked an `n/a`
 * result carrying the reason. A failing cleanup fails a case that passed.
 */
export async function runCase(testCase: ConformanceCase, target: ConformanceTarget): Promise<ConformanceResult> {
  const started = performance.now();
  const cell = { caseId: testCase.id, caseTitle: testCase.title, target: target.name };
  const done = (status: ConformanceResult['status'], detail?: string, error?: unknown): ConformanceResult => ({
    ...cell,
    status,
    ...(detail !== undefined ? { detail } : {}),
    ...(error !== undefined ? { error } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  let subject: Awaited<ReturnType<ConformanceTarget['create']>>;
  try {
    subject = await target.create();
  } catch (error) {
    return done('fail', `the target could not create its subject: ${errorMessage(error)}`, error);
  }
  let result: ConformanceResult;
  try {
    const context = caseContext(testCase.id, target, subject);
    const reason = testCase.notApplicable?.(context);
    if (reason !== undefined) {
      result = done('n/a', reason);
    } else {
      await testCase.run(context);
      result = done('pass');
    }
  } catch (error) {
    result = done('fail', errorMessage(error), error);
  }
  try {
    await subject.cleanup?.();
  } catch (error) {
    if (result.status !== 'fail') result = done('fail', `cleanup failed: ${errorMessage(error)}`, error);
  }
  return result;
}

/** The node:test context a case test uses: `skip` reports an n/a case with its reason. */
export interface ConformanceTestContext {
  skip(message?: string): void;
}

/** node:test's `test` (or any runner with that shape). */
export type ConformanceTestFn = (name: string, fn: (t: ConformanceTestContext) => Promise<void>) => unknown;

export interface ConformanceOptions {
  /** Registers one test; pass node:test's `test`. */
  readonly test: ConformanceTestFn;
  /** Registers a hook that runs after every test; pass node:test's `after` to print the table. @default no table printed */
  readonly after?: (fn: () => void) => unknown;
  /** Where the table goes when `after` is given. @default console.log */
  readonly report?: (table: string) => void;
  /** The cases to run. @default {@link CONFORMANCE_CASES} */
  readonly cases?: readonly ConformanceCase[];
}

/** What {@link runConformance} hands back: the results as the tests fill them in. */
export interface ConformanceRun {
  /** One per case and target that has run, in the order they ran. */
  readonly results: readonly ConformanceResult[];
  /** The case x target table of the results so far. */
  table(): string;
}

/**
 * Registers one test per case and target, named `<case title> [<target>]`: it passes, fails
 * with the case's error, or is skipped with `n/a: <reason>` (never silently). With `after`, the
 * case x target table is reported once every test has run.
 */
export function runConformance(targets: readonly ConformanceTarget[], options: ConformanceOptions): ConformanceRun {
  const cases = options.cases ?? CONFORMANCE_CASES;
  const results: ConformanceResult[] = [];
  const table = () => conformanceTable(results, { cases, targets: targets.map((t) => t.name) });
  for (const testCase of cases) {
    for (const target of targets) {
      options.test(`${testCase.title} [${target.name}]`, async (t) => {
        const result = await runCase(testCase, target);
        results.push(result);
        if (result.status === 'n/a') t.skip(`n/a: ${result.detail}`);
        if (result.status === 'fail') throw result.error ?? new Error(result.detail);
      });
    }
  }
  const report = options.report ?? ((text: string) => console.log(text));
  options.after?.(() => report(table()));
  return { results, table };
}
