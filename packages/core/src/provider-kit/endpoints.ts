/**
 * Small pieces every provider's options need: a logger for when none is given, and the one
 * rule for plain-http endpoints (test servers on loopback only; a token never crosses a
 * network in clear).
 */
import type { Logger } from '../provider.ts';

/** A logger that discards everything: the default of every provider's `log` option. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True when the URL's host is a loopback address (127.0.0.1, localhost, [::1]). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}
