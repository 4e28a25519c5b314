/**
 * The command line of `sluice-dataplane` (pure): flags to options, or one sentence saying
 * what is wrong. The ready line's shape lives here too, as the contract with
 * `startDataPlaneProcess`.
 */
import { parseArgs } from 'node:util';
import { errorMessage } from './errors.ts';
import { FIREWALL_ACTIONS, type FirewallAction } from './firewall.ts';
import { resolveTimeScale } from './resolve.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface BinOptions {
  readonly socketPath: string;
  readonly timeScale: number;
  readonly firewallDefault: FirewallAction;
  readonly logLevel: LogLevel;
}

/** The one line printed on stdout once the control API serves. */
export interface ReadyLine {
  readonly ready: true;
  readonly socket: string;
  readonly pid: number;
}

export const USAGE = `Usage: sluice-dataplane --socket PATH [--time-scale N] [--firewall-default allow|deny] [--log-level debug|info|warn|error]

Runs the Sluice L4 data plane and serves its control API (HTTP/1.1 + JSON) on the UNIX
domain socket PATH. Prints one JSON ready line on stdout, logs JSON lines on stderr, and
exits cleanly on SIGTERM or SIGINT.
`;

export function parseBinArgs(argv: readonly string[]): { readonly options: BinOptions } | { readonly help: true } | { readonly error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        socket: { type: 'string' },
        'time-scale': { type: 'string' },
        'firewall-default': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return { error: `${errorMessage(error)}; run with --help for the flags.` };
  }
  if (values['help'] === true) return { help: true };
  const socketPath = values['socket'];
  if (typeof socketPath !== 'string' || socketPath === '') return { error: '--socket is missing, but it must name the control API socket path (e.g. /run/sluice/dataplane.sock).' };
  const scaleText = values['time-scale'] ?? '1';
  let timeScale: number;
  try {
    timeScale = resolveTimeScale(Number(scaleText), '--time-scale');
  } catch {
    return { error: `--time-scale is ${JSON.stringify(scaleText)}, but it must be a number greater than 0 and at most 1000.` };
  }
  const firewallDefault = values['firewall-default'] ?? 'allow';
  if (!(FIREWALL_ACTIONS as readonly unknown[]).includes(firewallDefault)) {
    return { error: `--firewall-default is ${JSON.stringify(firewallDefault)}, but it must be allow or deny.` };
  }
  const logLevel = values['log-level'] ?? 'warn';
  if (!(LOG_LEVELS as readonly unknown[]).includes(logLevel)) {
    return { error: `--log-level is ${JSON.stringify(logLevel)}, but it must be one of ${LOG_LEVELS.join(', ')}.` };
  }
  return { options: { socketPath, timeScale, firewallDefault: firewallDefault as FirewallAction, logLevel: logLevel as LogLevel } };
}
