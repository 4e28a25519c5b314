/**
 * List paging as GCE does it: `maxResults` (default and maximum 500) and an opaque
 * `nextPageToken` handed back as `pageToken`.
 */
import { invalid } from './gce-errors.ts';

export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken?: string;
}

export function paginate<T>(all: readonly T[], query: URLSearchParams): Page<T> {
  const raw = query.get('maxResults');
  let max = 500;
  if (raw !== null) {
    max = Number(raw);
    if (!Number.isInteger(max) || max < 0) throw invalid(`Invalid value for field 'maxResults': '${raw}'. Must be a non-negative integer.`);
    if (max === 0 || max > 500) max = 500;
  }
  let start = 0;
  const token = query.get('pageToken');
  if (token !== null && token !== '') {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    const m = /^offset:(\d+)$/.exec(decoded);
    if (m === null) throw invalid(`Invalid value for field 'pageToken': '${token}'. Invalid page token.`);
    start = Number(m[1]);
  }
  const items = all.slice(start, start + max);
  const next = start + max;
  return next < all.length ? { items, nextPageToken: Buffer.from(`offset:${next}`).toString('base64url') } : { items };
}
