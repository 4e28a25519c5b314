/**
 * Entity tags and the conditional headers ARM honours on writes. A network resource has one
 * weak etag (`W/"<uuid>"`) that changes on every write; its child resources (pools, rules,
 * probes…) report the parent's etag, so a conditional write to a pool fails when anything
 * in its load balancer changed since it was read.
 */
import { randomUUID } from 'node:crypto';
import { preconditionFailed } from './arm-errors.ts';

export function newEtag(): string {
  return `W/"${randomUUID()}"`;
}

/** `W/"x"`, `"x"` and `x` name the same tag. */
function bareTag(tag: string): string {
  let t = tag.trim();
  if (t.startsWith('W/')) t = t.slice(2);
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) t = t.slice(1, -1);
  return t;
}

function tagList(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

export interface Preconditions {
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
}

/**
 * Throws 412 PreconditionFailed when the write's conditions do not hold for a resource
 * whose current etag is `current` (undefined: the resource does not exist).
 * - `If-Match: *` needs the resource to exist; `If-Match: <tags>` needs one to equal its etag.
 * - `If-None-Match: *` needs it not to exist; `If-None-Match: <tags>` needs none to equal it.
 */
export function checkPreconditions(conditions: Preconditions, current: string | undefined, resourceLabel: string): void {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined) {
    const tags = tagList(ifMatch);
    const ok = current !== undefined && tags.some((t) => t === '*' || bareTag(t) === bareTag(current));
    if (!ok) {
      throw preconditionFailed(
        current === undefined
          ? `The condition specified using HTTP conditional header(s) is not met: ${resourceLabel} does not exist (If-Match: ${ifMatch}).`
          : `The condition specified using HTTP conditional header(s) is not met: the etag of ${resourceLabel} is ${current}, not ${ifMatch}.`,
      );
    }
  }
  if (ifNoneMatch !== undefined && current !== undefined) {
    const tags = tagList(ifNoneMatch);
    if (tags.some((t) => t === '*' || bareTag(t) === bareTag(current))) {
      throw preconditionFailed(
        `The condition specified using HTTP conditional header(s) is not met: ${resourceLabel} already exists with etag ${current} (If-None-Match: ${ifNoneMatch}).`,
      );
    }
  }
}
