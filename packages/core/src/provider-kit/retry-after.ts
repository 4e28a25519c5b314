/**
 * Retry-After, as servers send it with 429 and 503: a number of seconds, or an HTTP date that
 * is turned into a delay against the injected clock (never `Date.now()`), so tests pin it.
 */
import type { Clock } from '../queue/clock.ts';

/**
 * Response headers in the shapes SDKs hand them over: a `Headers`-like object with `get`
 * (Azure's `HttpHeaders`, fetch), or a plain record (AWS `$response.headers`, Node's
 * `IncomingHttpHeaders`, whose values may be arrays).
 */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The value of header `name` (case-insensitive); the first, when it came more than once. */
export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get(name.toLowerCase()) ?? undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value[0];
  }
  return undefined;
}

/**
 * Milliseconds to wait from a Retry-After value: seconds (decimals allowed) or an HTTP date,
 * which counts from `clock.now()` and is 0 when already past. Undefined when absent or not
 * understood (a negative number, garbage): a value that cannot be read is no advice.
 */
export function parseRetryAfter(value: string | undefined, clock: Pick<Clock, 'now'>): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month; anything else (`-3`) is not a date whatever Date.parse makes of it.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now());
}

/** {@link parseRetryAfter} of the `Retry-After` header in `headers`. */
export function retryAfterMs(headers: HeaderSource | undefined, clock: Pick<Clock, 'now'>): number | undefined {
  return parseRetryAfter(headerValue(headers, 'retry-after'), clock);
}
