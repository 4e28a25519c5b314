/** HTTP status of a client-node API error, or undefined for anything else (network errors). */
export function apiStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A short description of an API error for a log line. */
export function describeApiError(error: unknown): string {
  const status = apiStatus(error);
  const body = (error as { body?: unknown } | undefined)?.body;
  let message = error instanceof Error ? error.message : String(error);
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // not JSON
    }
  }
  return status === undefined ? message : `HTTP ${status}: ${message.split('\n')[0]}`;
}
