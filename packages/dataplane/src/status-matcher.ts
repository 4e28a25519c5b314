/**
 * The HTTP status codes a health check accepts, written the AWS way: `"200"`,
 * `"200-399"`, `"200,202,300-302"` (GCP and Azure accept 200 only, which is `"200"`). Pure.
 */
import { invalid } from './validate.ts';

export interface StatusMatcher {
  /** Canonical text, e.g. `200-399`. */
  readonly text: string;
  matches(status: number): boolean;
}

const ALLOWED = 'HTTP status codes from 100 to 599 as a code, a range or a comma-separated list, such as "200", "200-399" or "200,202,300-302"';

export function parseStatusMatcher(field: string, value: unknown): StatusMatcher {
  if (typeof value !== 'string') throw invalid(field, value, ALLOWED);
  const ranges = value.split(',').map((part) => {
    const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (match === null || !(from >= 100 && to <= 599 && from <= to)) throw invalid(field, value, ALLOWED);
    return [from, to] as const;
  });
  return {
    text: ranges.map(([from, to]) => (from === to ? String(from) : `${from}-${to}`)).join(','),
    matches: (status) => ranges.some(([from, to]) => status >= from && status <= to),
  };
}
