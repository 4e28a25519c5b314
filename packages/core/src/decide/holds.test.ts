import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredBackend } from '../model/build-desired.ts';
import type { BackendStatus } from '../provider.ts';
import { healthAfter } from './holds.ts';

const desired = (ip: string, podUid: string): DesiredBackend => ({ key: `http|${ip}|8080`, id: `http|${ip}|8080|${podUid}`, servicePort: 'http', ip, port: 8080, podUid, podName: podUid, weight: 1, draining: false });

test('after a plan with actions, a kept registration keeps its health and the reason the LB gave; a new one starts initial', () => {
  const reason = 'security group sg-1 has no inbound rule allowing TCP port 8080 from sg-2';
  const actual: BackendStatus[] = [{ servicePort: 'http', ip: '10.0.0.1', port: 8080, podUid: 'a', weight: 1, health: 'unhealthy', reason }];
  const fresh = desired('10.0.0.2', 'b');
  const after = healthAfter(actual, [desired('10.0.0.1', 'a'), fresh], [{ kind: 'register', backend: fresh }]);
  assert.deepEqual(
    after.map((s) => [s.ip, s.health, s.reason]),
    [
      ['10.0.0.1', 'unhealthy', reason],
      ['10.0.0.2', 'initial', undefined],
    ],
  );
});
