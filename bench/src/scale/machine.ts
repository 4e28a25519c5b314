/** The machine and cluster a reaction or scale result was measured on. */
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import type { KubeRest } from '@sluice/testbed/harness';

export interface ClusterMachine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** kube-apiserver's /version gitVersion. */
  readonly kubernetes: string;
  /** 1, 5 and 15 minute load averages at the start: other work skews the numbers. */
  readonly loadAverage: readonly number[];
}

export async function describeClusterMachine(rest: KubeRest): Promise<ClusterMachine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const version = await rest.request<{ gitVersion?: string }>('GET', '/version').catch(() => ({ gitVersion: 'unknown' }));
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    kubernetes: version.gitVersion ?? 'unknown',
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function machineLine(m: ClusterMachine): string {
  return `${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}, node ${m.node}, kube-apiserver ${m.kubernetes}, load average at start ${m.loadAverage.join(' ')}`;
}
