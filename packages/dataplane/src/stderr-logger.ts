/** A Logger writing one JSON line per entry to stderr, at or above a level (the bin's logger). */
import type { LogLevel } from './bin-args.ts';
import type { Logger } from './timers.ts';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function stderrLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at =
    (entry: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (RANK[entry] < RANK[level]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: entry, msg: message, ...fields })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
