/** The machine and tool versions a dataplane result was measured with. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineDescription {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly haproxy: string;
  readonly wrk: string;
  /** 1, 5 and 15 minute load averages when the bench started: other work skews the numbers. */
  readonly loadAverage: readonly number[];
}

/** First line of a command's output (stdout or stderr; wrk -v exits non-zero). */
async function firstLine(file: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, [...args]);
    return (stdout || stderr).split('\n')[0]!.trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const text = e.stdout || e.stderr;
    return text ? text.split('\n')[0]!.trim() : `unavailable (${e.message})`;
  }
}

export async function describeMachine(): Promise<MachineDescription> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  return {
    nproc: Number(await firstLine('nproc', [])),
    cpuModel: model,
    kernel: await firstLine('uname', ['-sr']),
    node: process.version,
    haproxy: (await firstLine('haproxy', ['-v'])).replace(/ - https?:\/\/\S+$/, ''),
    wrk: (await firstLine('wrk', ['-v'])).replace(/ Copyright .*$/, ''),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
