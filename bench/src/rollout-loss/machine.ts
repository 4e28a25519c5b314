/** The machine and control plane a rollout-loss result was measured on. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { resolveControlPlaneBinaries } from '@sluice/testbed/harness';

const run = promisify(execFile);

export interface RolloutMachine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** `kube-apiserver --version` of the control plane the bench runs against. */
  readonly kubeApiserver: string;
  /** 1, 5 and 15 minute load averages when the bench started: other work on the machine skews rollout times. */
  readonly loadAverage: readonly number[];
}

async function output(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, [...args]);
    return (stdout || stderr).trim().split('\n')[0]!.trim();
  } catch (error) {
    return `unavailable (${(error as Error).message})`;
  }
}

/** Rounded 1, 5 and 15 minute load averages. */
export function loadAverage(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

export async function describeRolloutMachine(): Promise<RolloutMachine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const binaries = await resolveControlPlaneBinaries();
  return {
    nproc: Number(await output('nproc', [])),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: await output('uname', ['-sr']),
    node: process.version,
    kubeApiserver: await output(binaries.kubeApiserver, ['--version']),
    loadAverage: loadAverage(),
  };
}
