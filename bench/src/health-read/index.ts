/**
 * The embedded LB's health read at scale: what one Service's health poll costs with 10, 100 and
 * 1,000 Services programmed into an out-of-process data plane (the default). The provider reads
 * only its Service's share (`state({ prefix })`); the whole state, what every poll read before,
 * is timed beside it. Each Service has one target group of three targets and no health check,
 * so nothing but the read runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDataPlane, type DataPlaneClient, startDataPlaneProcess } from '@sluice/dataplane';
import { printTable, type Table } from '../table.ts';

const SIZES = [10, 100, 1_000] as const;
const READS = 200;

/** Median and p95 of `READS` sequential reads, in milliseconds, after 10 warm-up reads. */
async function timeReads(read: () => Promise<unknown>): Promise<{ p50: number; p95: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < 10; i++) bytes = JSON.stringify(await read()).length;
  const samples: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    await read();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(READS / 2)]!, p95: samples[Math.floor(READS * 0.95)]!, bytes };
}

async function program(client: DataPlaneClient, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const name = `sluice/bench/svc-${i}/uid-${i}/http`;
    await client.putTargetGroup({ name });
    await client.registerTargets(name, [1, 2, 3].map((n) => ({ ip: `10.${(i >> 8) & 255}.${i & 255}.${n}`, port: 8080, registration: `pod-${i}-${n}` })));
  }
}

export async function runHealthReadBench(): Promise<{ tables: Table[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-health-read-'));
  const proc = await startDataPlaneProcess({ socketPath: join(dir, 'dp.sock') });
  const client = await connectDataPlane(proc.socketPath);
  const rows: string[][] = [];
  try {
    let programmed = 0;
    for (const size of SIZES) {
      await program(client, programmed, size);
      programmed = size;
      const prefix = 'sluice/bench/svc-0/uid-0/';
      const scoped = await timeReads(() => client.state({ prefix }));
      const whole = await timeReads(() => client.state());
      rows.push([
        String(size),
        scoped.p50.toFixed(2),
        whole.p50.toFixed(2),
        `${(whole.p50 / scoped.p50).toFixed(1)}x`,
        scoped.p95.toFixed(2),
        whole.p95.toFixed(2),
        String(scoped.bytes),
        String(whole.bytes),
      ]);
    }
  } finally {
    client.disconnect();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const title = `one Service's health read from the out-of-process data plane, ${READS} reads each (ms; whole/scoped = how much more the old read cost)`;
  const header = ['services', 'scoped p50', 'whole p50', 'whole/scoped', 'scoped p95', 'whole p95', 'scoped bytes', 'whole bytes'];
  printTable(title, header, rows);
  return { tables: [{ title, header, rows }] };
}
