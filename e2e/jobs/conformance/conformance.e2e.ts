/**
 * e2e/conformance: the provider conformance suite of `@sluice/core/testing` against all four
 * providers at once, each against the real thing or the project's test server, in one case x
 * provider table:
 * - local: `@sluice/provider-local` with its engine embedded, on a loopback address of its own;
 * - aws: `@sluice/provider-aws` against moto behind the AWS front (ELBv2 throttling, faults);
 * - azure: `@sluice/provider-azure` against the ARM test server (HTTPS, Entra tokens);
 * - gcp: `@sluice/provider-gcp` against the Compute test server.
 * How each target makes its vendor fail and plants a foreign resource is in its own file.
 *
 * Every cell must say `pass`: a case that fails fails its own test, and the last test fails
 * the job for any cell that is not `pass` (an n/a is a skipped test, which would not).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONFORMANCE_CASES, runConformance } from '@sluice/core/testing';
import { consoleLogger } from '@sluice/testbed/harness';
import { awsTarget } from './aws-target.ts';
import { azureTarget } from './azure-target.ts';
import { gcpTarget } from './gcp-target.ts';
import type { JobTarget } from './job-target.ts';
import { localTarget } from './local-target.ts';

const log = consoleLogger('e2e/conformance');
const targets: readonly JobTarget[] = [localTarget(), awsTarget(), azureTarget(), gcpTarget()];

// Each vendor once for the whole job (moto is installed into ~/.cache/sluice/ on a first run).
before(async () => {
  const started = performance.now();
  const outcomes = await Promise.allSettled(targets.map((t) => t.start(log)));
  const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${targets[i]!.target.name}: ${String(o.reason?.stack ?? o.reason)}`] : []));
  if (failed.length > 0) throw new Error(`could not start every target:\n${failed.join('\n')}`);
  log.info(`every target started in ${Math.round(performance.now() - started)} ms`);
});

after(async () => {
  process.stdout.write(`\nwhat the vendors saw:\n${targets.map((t) => `  ${t.summary()}`).join('\n')}\n`);
  await Promise.allSettled(targets.map((t) => t.stop()));
});

const run = runConformance(
  targets.map((t) => t.target),
  { test, after, report: (table) => process.stdout.write(`\nprovider conformance, case x provider:\n\n${table}\n\n`) },
);

test('every cell of the table is pass', () => {
  const expected = CONFORMANCE_CASES.length * targets.length;
  assert.equal(run.results.length, expected, `${run.results.length} of ${expected} cells ran`);
  const notPass = run.results.filter((r) => r.status !== 'pass').map((r) => `${r.caseTitle} [${r.target}]: ${r.status}: ${r.detail ?? ''}`);
  assert.deepEqual(notPass, [], `cells that are not pass:\n${notPass.join('\n')}\n\n${run.table()}`);
});
