/**
 * e2e/local: `spec.loadBalancerSourceRanges` enforced by the embedded load balancer.
 *
 * A Service of Sluice's class with ranges `127.0.0.1/32`: N GETs from source 127.0.0.1 are all
 * answered by the pods, N from 127.0.0.2 are all refused (reset or closed, no HTTP response).
 * The ranges changed to `127.0.0.2/32`: the opposite holds. The spec field removed and the
 * annotation `service.beta.kubernetes.io/load-balancer-source-ranges: 127.0.0.1/32` set
 * instead: it is enforced the same way. The health checks are not subject to the ranges (the
 * pods pass their gates). An invalid range (`10.0.0.0/33`) never gets a load balancer: the
 * API server refuses the Service outright. A range the API server accepts in an odd spelling
 * (`10.0.0.0/008`) must never let 127.0.0.1 in; what Sluice made of it is printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { apiStatus, consoleLogger, freeLoopbackPorts, sleep, waitFor } from '@sluice/testbed/harness';
import { appDeployment, clusterJob, describeMarks, getFrom, loadBalancerService, type SourceTally, sluiceMarks, tallyFrom } from '@sluice/testbed/scenario';

const SLUICE_CLASS = 'sluice.dev/load-balancer';
const ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';
const NS = 'source-ranges';
const LABELS = { app: 'web' };
const SOURCES = ['127.0.0.1', '127.0.0.2'] as const;
const N = 20;

const log = consoleLogger('e2e/source-ranges');
const say = (line: string) => process.stdout.write(`${line}\n`);
const job = clusterJob(log);

function rangedService(name: string, port: number, ranges: readonly string[]): k8s.V1Service {
  const body = loadBalancerService(name, { port, selector: LABELS });
  body.spec!.loadBalancerClass = SLUICE_CLASS;
  body.spec!.loadBalancerSourceRanges = [...ranges];
  return body;
}

async function patchService(name: string, body: object): Promise<void> {
  await job.objects.core.patchNamespacedService({ namespace: NS, name, body }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
}

function describeTally(t: SourceTally): string {
  const parts = [`${t.answered}/${N} answered`];
  if (t.refused > 0) parts.push(`${t.refused} refused (${Object.entries(t.codes).map(([c, n]) => `${c} ${n}`).join(', ')})`);
  if (t.timedOut > 0) parts.push(`${t.timedOut} timed out`);
  return parts.join(', ');
}

interface Row {
  readonly step: string;
  readonly admitted: (typeof SOURCES)[number];
  readonly tookEffectMs: number | undefined;
  readonly tallies: Record<string, SourceTally>;
}

test('source ranges: clients outside are refused at the LB; a change applies; an invalid range gets no LB', { timeout: 90_000 }, async () => {
  const started = performance.now();
  const [port, oddPort] = await freeLoopbackPorts(2);
  await job.objects.namespace(NS);
  await job.objects.deployment(NS, appDeployment('web', 2, { labels: LABELS }));
  await job.objects.service(NS, rangedService('web', port!, ['127.0.0.1/32']));
  const host = await job.reads.waitForIngressIp(NS, 'web');
  const pods = await job.reads.waitForReadyDeployment(NS, 'web', 2, 45_000);
  const podNames = new Set(pods.map((p) => p.metadata!.name!));

  const rows: Row[] = [];
  /** Waits until a GET from `admitted` is answered (the new ranges are in force), then tallies both sources. */
  const step = async (name: string, admitted: (typeof SOURCES)[number], change?: () => Promise<void>) => {
    let tookEffectMs: number | undefined;
    if (change) {
      const t0 = performance.now();
      await change();
      await waitFor(`a GET from ${admitted} answered after: ${name}`, async () => (await getFrom(admitted, host, port!)).kind === 'answered', { timeoutMs: 15_000, intervalMs: 50 });
      tookEffectMs = Math.round(performance.now() - t0);
    } else {
      await waitFor(`a GET from ${admitted} answered`, async () => (await getFrom(admitted, host, port!)).kind === 'answered', { timeoutMs: 10_000, intervalMs: 100 });
    }
    const tallies: Record<string, SourceTally> = {};
    for (const source of SOURCES) tallies[source] = await tallyFrom(source, host, port!, N);
    rows.push({ step: name, admitted, tookEffectMs, tallies });
  };

  await step('spec 127.0.0.1/32', '127.0.0.1');
  await step('spec 127.0.0.2/32', '127.0.0.2', () => patchService('web', { spec: { loadBalancerSourceRanges: ['127.0.0.2/32'] } }));
  await step('annotation 127.0.0.1/32 (spec unset)', '127.0.0.1', () =>
    patchService('web', { metadata: { annotations: { [ANNOTATION]: '127.0.0.1/32' } }, spec: { loadBalancerSourceRanges: null } }),
  );

  // An invalid range: the API server refuses the Service, so there is nothing to balance.
  let invalid: { status: number | undefined; message: string } | undefined;
  try {
    await job.objects.service(NS, rangedService('bad', oddPort!, ['10.0.0.0/33']));
  } catch (error) {
    const body = (error as { body?: unknown }).body;
    invalid = { status: apiStatus(error), message: typeof body === 'string' ? ((JSON.parse(body) as { message?: string }).message ?? body) : String(error) };
  }
  const badExists = await job.reads.service(NS, 'bad').then(
    () => true,
    () => false,
  );

  // A spelling the API server accepts (the prefix with leading zeros) must not let 127.0.0.1 in.
  await job.objects.service(NS, rangedService('odd', oddPort!, ['10.0.0.0/008']));
  const oddSeen = await waitFor(
    'Sluice to act on Service odd (a load balancer or a Warning)',
    async () => {
      const marks = await sluiceMarks(job.objects.core, NS, 'odd');
      return marks.ingress.length > 0 || marks.events.some((e) => e.startsWith('Warning')) ? marks : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  await sleep(500);
  const oddTally = await tallyFrom('127.0.0.1', oddSeen.ingress[0]?.ip ?? '127.0.0.1', oddPort!, 5);

  say(`\nsource ranges on Service ${NS}/web (${host}:${port}), ${N} GETs per source, one connection each:`);
  say(`  ${'step'.padEnd(38)} ${'in force after'.padEnd(15)} ${SOURCES.map((s) => `from ${s}`.padEnd(44)).join(' ')}`);
  for (const row of rows) {
    const effect = row.tookEffectMs === undefined ? '-' : `${row.tookEffectMs} ms`;
    say(`  ${row.step.padEnd(38)} ${effect.padEnd(15)} ${SOURCES.map((s) => describeTally(row.tallies[s]!).padEnd(44)).join(' ')}`);
  }
  say(`  invalid 10.0.0.0/33: API server answered ${invalid ? `${invalid.status}: ${invalid.message}` : 'OK (created!)'}; Service exists: ${badExists}`);
  say(`  odd spelling 10.0.0.0/008 (the API server accepts it): ${describeMarks(oddSeen)}; from 127.0.0.1: ${describeTally(oddTally).replace(`/${N}`, '/5')}`);
  say(`  total ${Math.round(performance.now() - started)} ms`);

  for (const row of rows) {
    for (const source of SOURCES) {
      const t = row.tallies[source]!;
      if (source === row.admitted) {
        assert.equal(t.answered, N, `${row.step}: every GET from ${source} is answered (${describeTally(t)})`);
        assert.ok(Object.keys(t.bodies).every((b) => podNames.has(b)), `${row.step}: the pods answer: ${JSON.stringify(t.bodies)}`);
      } else {
        assert.equal(t.refused, N, `${row.step}: every GET from ${source} is refused without an HTTP response (${describeTally(t)})`);
      }
    }
  }
  assert.equal(invalid?.status, 422, 'the API server refuses the invalid range');
  assert.match(invalid?.message ?? '', /loadBalancerSourceRanges\[0\].*10\.0\.0\.0\/33/i, 'the refusal names the field and the value');
  assert.equal(badExists, false, 'no Service, so no load balancer, with the invalid range');
  assert.equal(oddTally.answered, 0, `127.0.0.1 is outside 10.0.0.0/008 and is never served (${describeTally(oddTally)})`);
  if (oddSeen.events.some((e) => e.startsWith('Warning InvalidConfiguration'))) {
    assert.deepEqual(oddSeen.ingress, [], 'a Service Sluice refuses gets no load balancer');
  }
});
