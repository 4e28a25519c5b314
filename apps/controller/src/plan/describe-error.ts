/**
 * One line for an error: the Kubernetes Status message of an API error (the client's own
 * message is a multi-line dump), else the message followed by its causes' codes or
 * messages (fetch says only "fetch failed" on its own).
 */
import { errorMessage } from '@sluice/core';

function apiStatusMessage(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  const body = (error as { body?: unknown })?.body;
  if (typeof code !== 'number' || body === undefined) return undefined;
  let status: { message?: unknown; reason?: unknown } | undefined;
  try {
    status = typeof body === 'string' ? (JSON.parse(body) as typeof status) : (body as typeof status);
  } catch {
    status = undefined;
  }
  const message = typeof status?.message === 'string' ? status.message : typeof body === 'string' ? body.slice(0, 200) : '';
  return `HTTP ${code}${typeof status?.reason === 'string' ? ` ${status.reason}` : ''}${message ? `: ${message}` : ''}`;
}

export function describeError(error: unknown): string {
  const api = apiStatusMessage(error);
  if (api !== undefined) return api;
  let message = errorMessage(error);
  let cause = (error as { cause?: unknown })?.cause;
  while (cause && typeof cause === 'object') {
    const c = cause as { code?: string; message?: string; cause?: unknown };
    const part = c.code ?? c.message;
    if (part && !message.includes(part)) message += ` (${part})`;
    cause = c.cause;
  }
  return message;
}
