/**
 * The logger the harness components write to. Injected so a test can keep the output quiet,
 * prefix it, or collect it for an assertion.
 */
export interface HarnessLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Discards everything. */
export const silentLogger: HarnessLogger = {
  info: () => {},
  warn: () => {},
  debug: () => {},
};

/**
 * Writes to stderr with a prefix. Debug lines appear only when `SLUICE_E2E_DEBUG` is set,
 * so a passing run stays short.
 */
export function consoleLogger(prefix: string): HarnessLogger {
  const debug = Boolean(process.env['SLUICE_E2E_DEBUG']);
  const write = (level: string, message: string) => {
    process.stderr.write(`[${prefix}] ${level} ${message}\n`);
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    debug: (m) => {
      if (debug) write('debug', m);
    },
  };
}
