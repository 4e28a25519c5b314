/**
 * HAProxy as the baseline load balancer: a generated configuration over the same backends
 * (TCP mode, the engine's layer; round-robin; health checks like the engine's: every 1 s,
 * 2 to rise, 2 to fall), run in the foreground (`-db`) with one thread so it gets the same
 * one core a Node process uses, and driven through its runtime API (the admin stats socket).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendRef } from './backends.ts';
import { freePort, sleep } from './net-util.ts';

export interface Haproxy {
  readonly pid: number;
  readonly port: number;
  /** The configuration it runs, for the results file. */
  readonly config: string;
  /** Sends one runtime API command (e.g. `set server be/a state drain`) and returns the answer. */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

/** The configuration: one frontend on 127.0.0.1:`port`, backend `be` with one server per backend id. */
export function haproxyConfig(port: number, socketPath: string, backends: readonly BackendRef[]): string {
  return [
    'global',
    '  nbthread 1',
    '  maxconn 4096',
    `  stats socket ${socketPath} mode 600 level admin`,
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
    '',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    '',
    'backend be',
    '  balance roundrobin',
    ...backends.map((b) => `  server ${b.id} 127.0.0.1:${b.port} check inter 1s rise 2 fall 2`),
    '',
  ].join('\n');
}

/** Starts HAProxy and resolves once every server is UP. */
export async function startHaproxy(backends: readonly BackendRef[]): Promise<Haproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-haproxy-'));
  const socketPath = join(dir, 'admin.sock');
  const configPath = join(dir, 'haproxy.cfg');
  const port = await freePort();
  const config = haproxyConfig(port, socketPath, backends);
  await writeFile(configPath, config);

  const child = spawn('haproxy', ['-f', configPath, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const spawned = await Promise.race([
    once(child, 'spawn').then(() => true),
    once(child, 'error').then(([error]) => {
      throw new Error(`could not run haproxy (${(error as Error).message}); run tools/bench-tools.sh`);
    }),
  ]);
  if (!spawned || child.pid === undefined) throw new Error('haproxy did not start');

  const command = (line: string): Promise<string> => runtimeCommand(socketPath, line);
  const haproxy: Haproxy = {
    pid: child.pid,
    port,
    config,
    command,
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitAllUp(child, command, backends.length, () => stderr);
  } catch (error) {
    await haproxy.stop();
    throw error;
  }
  return haproxy;
}

async function waitAllUp(child: ChildProcess, command: (line: string) => Promise<string>, count: number, stderr: () => string) {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with code ${child.exitCode}: ${stderr().trim()}`);
    try {
      const stat = await command('show stat');
      const header = stat.replace(/^# /, '').split('\n')[0]!.split(',');
      const status = header.indexOf('status');
      const servers = stat
        .split('\n')
        .slice(1)
        .map((row) => row.split(','))
        .filter((f) => f[0] === 'be' && f[1] !== 'BACKEND' && f[1] !== undefined);
      if (servers.length === count && servers.every((f) => f[status] === 'UP')) return;
    } catch {
      // The socket is not there yet.
    }
    await sleep(50);
  }
  throw new Error(`haproxy servers not all UP after 15 s: ${stderr().trim()}`);
}

/** One command on the runtime API: write the line, read until HAProxy closes the socket. */
function runtimeCommand(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${line}\n`));
    socket.once('close', () => resolve(answer));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
