/**
 * A leveled logger writing one JSON object per line: easy to grep, easy to ship.
 */
import type { Logger } from '@sluice/core';
import type { LogLevel } from './flags.ts';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createJsonLogger(level: LogLevel, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    write(`${JSON.stringify({ ts: now().toISOString(), level: at, msg: message, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
