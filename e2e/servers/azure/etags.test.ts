import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkPreconditions } from './etags.ts';

const TAG = 'W/"1111"';
const cases: Array<[string, { ifMatch?: string; ifNoneMatch?: string }, string | undefined, boolean]> = [
  ['no conditions, resource exists', {}, TAG, true],
  ['no conditions, resource absent', {}, undefined, true],
  ['If-Match equal', { ifMatch: TAG }, TAG, true],
  ['If-Match equal without W/ and quotes', { ifMatch: '1111' }, TAG, true],
  ['If-Match one of a list', { ifMatch: 'W/"0000", W/"1111"' }, TAG, true],
  ['If-Match stale', { ifMatch: 'W/"2222"' }, TAG, false],
  ['If-Match on an absent resource', { ifMatch: TAG }, undefined, false],
  ['If-Match * on an existing resource', { ifMatch: '*' }, TAG, true],
  ['If-Match * on an absent resource', { ifMatch: '*' }, undefined, false],
  ['If-None-Match * on an absent resource', { ifNoneMatch: '*' }, undefined, true],
  ['If-None-Match * on an existing resource', { ifNoneMatch: '*' }, TAG, false],
  ['If-None-Match with its current tag', { ifNoneMatch: TAG }, TAG, false],
  ['If-None-Match with another tag', { ifNoneMatch: 'W/"2222"' }, TAG, true],
];

for (const [what, headers, current, ok] of cases) {
  it(`checkPreconditions: ${what}`, () => {
    const run = () => checkPreconditions({ ifMatch: headers.ifMatch, ifNoneMatch: headers.ifNoneMatch }, current, 'the resource');
    if (ok) assert.doesNotThrow(run);
    else assert.throws(run, (e: unknown) => (e as { status?: number; code?: string }).status === 412 && (e as { code?: string }).code === 'PreconditionFailed');
  });
}
