/**
 * List paging by offset behind an opaque continuation token, as ARM's `$skiptoken` and
 * Google's `pageToken` are to their clients. Each vendor wraps the page in its own wire shape
 * (ARM: `value` + `nextLink`; Google: `items` + `nextPageToken`) and answers a bad token
 * with its own error.
 */

/** The opaque token that continues a list at `offset`. */
export function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

/** The offset a token names, or undefined when the token is not one this kit issued. */
export function decodePageToken(token: string): number | undefined {
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (m === null) return undefined;
  const offset = Number(m[1]);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** The token of the next page; undefined on the last page. */
  readonly nextToken: string | undefined;
}

/** At most `size` (at least 1) items of `all` from `offset`, and the token of the rest. */
export function pageAt<T>(all: readonly T[], offset: number, size: number): Page<T> {
  const n = Math.max(1, Math.floor(size));
  const items = all.slice(offset, offset + n);
  const next = offset + n;
  return { items, nextToken: next < all.length ? encodePageToken(next) : undefined };
}
