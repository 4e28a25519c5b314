/**
 * ARM list pagination: a page holds at most `pageSize` items and, when more remain, a
 * `nextLink` (an absolute URL with `$skiptoken`) the client follows as is. A small page size
 * makes the SDK's paging code run in every test that lists.
 */
import { invalidRequestFormat } from './arm-errors.ts';
import type { ArmContext, ArmRequest } from './arm-context.ts';
import type { Json, JsonObject } from './json.ts';

export function page(items: readonly Json[], req: ArmRequest, ctx: ArmContext): JsonObject {
  const token = req.query.get('$skiptoken');
  let offset = 0;
  if (token !== null) {
    offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw invalidRequestFormat('$skiptoken', `The skip token ${JSON.stringify(token)} is invalid.`);
  }
  const size = Math.max(1, ctx.pageSize);
  const value = items.slice(offset, offset + size);
  const out: JsonObject = { value };
  if (offset + size < items.length) {
    // Written out rather than through URLSearchParams, which would encode `$` as %24; ARM's links keep it.
    const skip = Buffer.from(String(offset + size)).toString('base64url');
    out['nextLink'] = `${ctx.endpoint}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&$skiptoken=${skip}`;
  }
  return out;
}
