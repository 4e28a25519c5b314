import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadProtoChecker } from './proto-check.ts';

describe('proto check', () => {
  const checker = loadProtoChecker();
  const path = '/compute/v1/projects/p/zones/z/networkEndpointGroups/neg/attachNetworkEndpoints';

  it('accepts known fields and flags unknown ones in query, body and response', () => {
    assert.deepEqual(checker.check('POST', path, new URLSearchParams('requestId=1'), { networkEndpoints: [{ ipAddress: '10.0.0.1', port: 80, instance: 'vm' }] }, 200, { kind: 'compute#operation', status: 'DONE' }), []);
    const bad = checker.check('POST', path, new URLSearchParams('bogus=1'), { networkEndpoints: [{ ipAdress: '10.0.0.1' }] }, 200, { kind: 'compute#operation', stauts: 'DONE' });
    assert.equal(bad.length, 3, bad.join('\n'));
    assert.ok(checker.checkedMethods().some((m) => m.rpc === 'NetworkEndpointGroups.AttachNetworkEndpoints' && m.count === 2 && m.violations.length === 3));
  });

  it('reports requests no rule matches', () => {
    assert.equal(checker.check('GET', '/compute/v1/projects/p/nothing', new URLSearchParams(), undefined, 404, {}).length, 1);
  });
});
