/**
 * moto's server (the AWS emulator from PyPI) for the AWS e2e job: installed once into a
 * virtualenv cached under ~/.cache/sluice/moto-<version>/, started on a free loopback port,
 * stopped with the run. With SLUICE_E2E_REAL=1 nothing is started and the SDK's default
 * chain (a real account) is used instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPorts, type HarnessLogger, silentLogger, startManagedProcess } from '@sluice/testbed/harness';

export const MOTO_VERSION = '5.2.5';

export interface AwsTarget {
  /** The endpoint to point the SDK at; undefined for a real account. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** Environment for the controller process (credentials, region, endpoint). */
  readonly env: Record<string, string>;
  readonly real: boolean;
  /**
   * moto's request recorder, undefined for a real account: every request moto serves while
   * recording, with the access key that signed it (see {@link MotoRecorder}).
   */
  readonly recorder: MotoRecorder | undefined;
  stop(): Promise<void>;
}

/** One request moto served: its action and the access key ID in its SigV4 signature. */
export interface RecordedRequest {
  readonly action: string;
  readonly accessKeyId: string | undefined;
}

/**
 * moto's request recorder (`/moto-api/recorder/*`), which appends every request to the file
 * named by MOTO_RECORDER_FILEPATH while recording is on. `reset` empties it and starts
 * recording; `requests` reads what was recorded so far.
 */
export interface MotoRecorder {
  reset(): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
}

function motoRecorder(endpoint: string): MotoRecorder {
  const api = (path: string, method = 'POST') => fetch(`${endpoint}/moto-api/recorder/${path}`, { method });
  return {
    async reset() {
      await (await api('reset-recording')).arrayBuffer();
      await (await api('start-recording')).arrayBuffer();
    },
    async requests() {
      const text = await (await api('download-recording', 'GET')).text();
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const entry = JSON.parse(l) as { headers: Record<string, string>; body?: string; body_encoded?: boolean; url: string };
          const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
          const header = (name: string) => Object.entries(entry.headers).find(([k]) => k.toLowerCase() === name)?.[1];
          const target = header('x-amz-target');
          const action = new URLSearchParams(body).get('Action') ?? target?.split('.').pop() ?? new URL(entry.url, 'http://moto').searchParams.get('Action') ?? `unknown ${entry.url}`;
          const accessKeyId = /Credential=([^/,\s]+)\//.exec(header('authorization') ?? '')?.[1];
          return { action, accessKeyId };
        });
    },
  };
}

/** Creates the cached virtualenv with moto[server] unless it is already there; returns moto_server's path. */
export function ensureMoto(log: HarnessLogger = silentLogger): string {
  const dir = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'sluice', `moto-${MOTO_VERSION}`);
  const server = join(dir, 'bin', 'moto_server');
  // The marker is written last: an interrupted install is redone, never half-used.
  const marker = join(dir, '.sluice-complete');
  if (existsSync(marker)) return server;
  log.info(`installing moto[server]==${MOTO_VERSION} into ${dir} (first run only)`);
  const python = process.env['SLUICE_PYTHON'] ?? 'python3';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '..'), { recursive: true });
  execFileSync(python, ['-m', 'venv', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync(join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(marker, `${MOTO_VERSION}\n`);
  return server;
}

export async function startAwsTarget(log: HarnessLogger = silentLogger): Promise<AwsTarget> {
  const region = process.env['AWS_REGION'] ?? 'us-east-1';
  if (process.env['SLUICE_E2E_REAL'] === '1') {
    log.info(`SLUICE_E2E_REAL=1: using the real AWS account from the default credential chain in ${region}`);
    const env: Record<string, string> = { AWS_REGION: region };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) {
      const v = process.env[k];
      if (v) env[k] = v;
    }
    return { endpoint: undefined, region, env, real: true, recorder: undefined, stop: async () => {} };
  }
  const server = ensureMoto(log);
  const [port] = await freeLoopbackPorts(1);
  const logFile = join(process.env['TMPDIR'] ?? '/tmp', `sluice-moto-${process.pid}-${port}.log`);
  const recording = join(process.env['TMPDIR'] ?? '/tmp', `sluice-moto-${process.pid}-${port}.jsonl`);
  const proc = startManagedProcess({
    name: 'moto',
    argv: [server, '-H', '127.0.0.1', '-p', String(port)],
    logFile,
    env: { ...process.env, MOTO_RECORDER_FILEPATH: process.env['MOTO_RECORDER_FILEPATH'] ?? recording },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await proc.stop();
      throw new Error(`moto_server did not start on ${endpoint}; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log.info(`moto ${MOTO_VERSION} listening on ${endpoint}`);
  return {
    endpoint,
    region,
    real: false,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    recorder: motoRecorder(endpoint),
    stop: async () => {
      await proc.stop();
      rmSync(recording, { force: true });
    },
  };
}
