#!/usr/bin/env node
/**
 * `sluice-dataplane`: the data plane engine as its own process, programmed over the control
 * API on a UNIX domain socket. The only file that reads argv and signals.
 *
 * stdout carries exactly one line, the JSON ready line, once the control API serves; logs
 * go to stderr. SIGTERM and SIGINT close the control API, every listener and its
 * connections, remove the socket file and exit 0. Bad flags: one line on stderr, exit 2.
 */
import { parseBinArgs, type ReadyLine, USAGE } from './bin-args.ts';
import { serveControlApi } from './control/server.ts';
import { createEngine } from './engine.ts';
import { errorMessage } from './errors.ts';
import { stderrLogger } from './stderr-logger.ts';

const parsed = parseBinArgs(process.argv.slice(2));
if ('error' in parsed) {
  process.stderr.write(`sluice-dataplane: ${parsed.error}\n`);
  process.exit(2);
}
if ('help' in parsed) {
  process.stderr.write(USAGE);
  process.exit(0);
}
const { socketPath, timeScale, firewallDefault, logLevel } = parsed.options;
const log = stderrLogger(logLevel);
// A reader that went away (a detached parent) must not crash the engine.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const engine = createEngine({ timeScale, firewallDefault, log });
let server: Awaited<ReturnType<typeof serveControlApi>>;
try {
  server = await serveControlApi(engine, { socketPath, log });
} catch (error) {
  process.stderr.write(`sluice-dataplane: cannot serve the control API on ${socketPath}: ${errorMessage(error)}\n`);
  process.exit(1);
}

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  await server.close();
  await engine.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

const ready: ReadyLine = { ready: true, socket: socketPath, pid: process.pid };
process.stdout.write(`${JSON.stringify(ready)}\n`);
log.info('serving the control API', { socket: socketPath, timeScale });
