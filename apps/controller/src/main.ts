/**
 * The only edge of the app: reads argv, the environment and signals, and maps outcomes to
 * exit codes (0 clean stop, 1 runtime failure, 2 bad flags). The `sluice` bin is bin.ts, which
 * checks the Node.js version and only then imports this file; tests and the e2e harness run
 * this file directly under Node 24. Run directly on an older Node, its first import says so.
 */
import './node-version.ts';

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseFlags, USAGE } from './flags.ts';
import { createLogger } from './logger.ts';
import { runPlan } from './plan/index.ts';
import { ProviderLoadError } from './providers.ts';
import { run, StartError } from './run.ts';

const parsed = parseFlags(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (parsed.kind === 'version') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`sluice ${pkg.version}\n`);
  process.exit(0);
}
if (parsed.kind === 'error') {
  process.stderr.write(`sluice: ${parsed.message}\n`);
  process.exit(2);
}

const stop = new AbortController();
if (parsed.kind === 'plan') {
  // The plan goes to stdout (parseable with --output json); logs go to stderr.
  const log = createLogger({ level: parsed.config.logLevel, format: parsed.config.logFormat, write: (line) => process.stderr.write(line) });
  process.once('SIGINT', () => stop.abort(new Error('SIGINT')));
  process.exit(await runPlan(parsed.config, parsed.output, { log, write: (line) => process.stdout.write(`${line}\n`), signal: stop.signal }));
}

const log = createLogger({ level: parsed.config.logLevel, format: parsed.config.logFormat, write: (line) => process.stdout.write(line) });
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info(`received ${sig}, stopping`);
    stop.abort(new Error(sig));
  });
}

try {
  // Unique per process: two replicas on one host, or a restart, never share an identity.
  const identity = `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`;
  await run(parsed.config, log, stop.signal, { identity });
  process.exit(0);
} catch (error) {
  if (error instanceof StartError || error instanceof ProviderLoadError || (error as Error)?.name === 'TerminalError') {
    process.stderr.write(`sluice: ${(error as Error).message}\n`);
    process.exit(error instanceof ProviderLoadError || (error as Error)?.name === 'TerminalError' ? 2 : 1);
  }
  process.stderr.write(`sluice: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
