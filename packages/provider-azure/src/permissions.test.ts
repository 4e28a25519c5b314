import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allows } from './permissions.ts';

const WRITE = 'Microsoft.Network/networkSecurityGroups/securityRules/write';
const DELETE = 'Microsoft.Network/networkSecurityGroups/securityRules/delete';

test('an action is allowed by one entry whose actions match it and whose notActions do not', () => {
  assert.equal(allows([{ actions: [WRITE] }], WRITE), true);
  assert.equal(allows([{ actions: ['Microsoft.Network/*'], notActions: ['*/delete'] }], DELETE), false, 'taken back in the same entry');
  assert.equal(allows([{ actions: ['Microsoft.Network/*'], notActions: ['*/delete'] }, { actions: [DELETE] }], DELETE), true, 'another assignment grants it');
  assert.equal(allows([{ actions: ['*'] }], DELETE), true);
  assert.equal(allows([{ actions: ['microsoft.network/networksecuritygroups/*'] }], WRITE), true, 'case-insensitive');
  assert.equal(allows([{ actions: ['Microsoft.Network/networkSecurityGroups/read'] }], WRITE), false);
  assert.equal(allows([{ actions: ['Microsoft.Network/networkSecurityGroups/securityRules/writ'] }], WRITE), false, 'no prefix match without a wildcard');
  assert.equal(allows([], WRITE), false, 'no assignment reaches the resource');
});
