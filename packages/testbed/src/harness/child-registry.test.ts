/**
 * The child registry in a real program: a Node process that starts a `sleep` through the
 * registry, then gets the signals a terminal sends (to its whole process group, as Ctrl-C does).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from './wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-child-registry-'));
const started: ChildProcess[] = [];
after(() => {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// The program: starts `sleep 60` as the harness starts its children, prints its pid, and with
// `handle` takes the first signal itself: it reports whether the sleep is still alive, then exits 0.
const program = join(dir, 'program.mjs');
writeFileSync(
  program,
  `import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DETACHED, handleSignals, killOnExit, underParentDeathSignal } from ${JSON.stringify(new URL('./child-registry.ts', import.meta.url).href)};
const [command, ...args] = underParentDeathSignal(['sleep', '60']);
const child = spawn(command, args, { stdio: 'ignore', ...DETACHED });
killOnExit(child);
const alive = (pid) => { try { return readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0] !== 'Z'; } catch { return false; } };
if (process.argv[2] === 'handle') {
  handleSignals((signal) => {
    console.log('handled ' + signal + ', sleep alive: ' + alive(child.pid));
    if (process.argv[3] !== 'slow') process.exit(0);
  });
}
console.log('sleep ' + child.pid);
setInterval(() => {}, 1000);
`,
);

interface Run {
  readonly proc: ChildProcess;
  readonly sleepPid: number;
  readonly lines: string[];
}

/** Starts the program as the leader of its own process group, like a shell starts a job. */
async function start(...args: string[]): Promise<Run> {
  const proc = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  started.push(proc);
  const lines: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  const sleepPid = await waitFor(
    'the program to start its child',
    () => {
      const line = lines.find((l) => l.startsWith('sleep '));
      return line === undefined ? undefined : Number(line.slice(6));
    },
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  return { proc, sleepPid, lines };
}

/** Whether the process runs: a killed child not yet reaped (a zombie) does not. */
const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Ctrl-C as a terminal sends it: SIGINT to every process of the foreground process group. */
const ctrlC = (run: Run): void => {
  process.kill(-run.proc.pid!, 'SIGINT');
};

test('a program that does not take signals: Ctrl-C kills its children and ends it by SIGINT', async () => {
  const run = await start();
  ctrlC(run);
  const [code, signal] = await once(run.proc, 'exit');
  assert.deepEqual([code, signal], [null, 'SIGINT']);
  await waitFor('the sleep to be killed', () => (alive(run.sleepPid) ? undefined : true), { timeoutMs: 5_000, intervalMs: 20 });
});

test('a program that takes signals gets the first Ctrl-C with its children untouched; they die when it exits', async () => {
  const run = await start('handle');
  ctrlC(run);
  const [code] = await once(run.proc, 'exit');
  assert.equal(code, 0);
  assert.ok(run.lines.includes('handled SIGINT, sleep alive: true'), `the child was still alive in the handler: ${run.lines.join(' | ')}`);
  await waitFor('the sleep to be killed at exit', () => (alive(run.sleepPid) ? undefined : true), { timeoutMs: 5_000, intervalMs: 20 });
});

test('a second Ctrl-C kills at once, even while the program is still shutting down', async () => {
  const run = await start('handle', 'slow');
  ctrlC(run);
  await waitFor('the handler', () => (run.lines.some((l) => l.startsWith('handled')) ? true : undefined), { timeoutMs: 5_000, intervalMs: 20 });
  assert.ok(alive(run.sleepPid));
  ctrlC(run);
  const [code, signal] = await once(run.proc, 'exit');
  assert.deepEqual([code, signal], [null, 'SIGINT']);
  await waitFor('the sleep to be killed', () => (alive(run.sleepPid) ? undefined : true), { timeoutMs: 5_000, intervalMs: 20 });
});
