import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOCAL_PROVIDER, ProfileRefusedError, runProviderRollout } from './provider-rollout.ts';
import type { Environment } from './environment.ts';
import { AWS_NLB_PROFILE, describeProfile, EMBEDDED_PROFILE, minimumGateMs, profileProblems, TIMING_PROFILES } from './timing-profile.ts';

test('every shipped profile is sound and names its source', () => {
  for (const [key, profile] of Object.entries(TIMING_PROFILES)) {
    assert.equal(profile.name, key);
    assert.deepEqual(profileProblems(profile), [], key);
    assert.ok(profile.source.length > 10, key);
  }
});

test('the fastest gate a profile allows is latency plus healthy threshold x interval, scaled', () => {
  assert.equal(minimumGateMs(EMBEDDED_PROFILE), 400);
  // 5 x 30 s = 150 s at AWS's defaults; x0.02 runs it as 3 s.
  assert.equal(minimumGateMs(AWS_NLB_PROFILE), 3000);
  assert.match(describeProfile(AWS_NLB_PROFILE), /^aws-nlb \(x0\.02\): checks 30000 ms x 5 healthy \/ 2 unhealthy, first after 0 ms, drain deregister 300000 ms$/);
});

test('an unsound profile is described field by field', () => {
  const problems = profileProblems({ ...EMBEDDED_PROFILE, healthyThreshold: 0, healthTimeoutMs: 500, timeScale: -1 });
  assert.deepEqual(problems, [
    'timeScale is -1: it must be a number above 0.',
    'healthyThreshold is 0: it must be a whole number of 1 or more.',
    'healthTimeoutMs is 500: it must not exceed healthIntervalMs (200).',
  ]);
});

test('the local provider runs the embedded profile and refuses what its LB cannot do, naming the field', () => {
  assert.equal(LOCAL_PROVIDER.refuses(EMBEDDED_PROFILE), undefined);
  assert.equal(LOCAL_PROVIDER.refuses(AWS_NLB_PROFILE), 'drain.kind is deregister: the local provider drains by weight 0 only.');
  assert.equal(
    LOCAL_PROVIDER.refuses({ ...EMBEDDED_PROFILE, registrationLatencyMs: 5000 }),
    'registrationLatencyMs is 5000: the local provider checks a new backend at once (0).',
  );
});

test('a refused profile stops the scenario before anything starts', async () => {
  let started = false;
  const provider = {
    ...LOCAL_PROVIDER,
    start: async () => {
      started = true;
      return { controllerArgs: [], stop: async () => {} };
    },
  };
  await assert.rejects(
    runProviderRollout({ env: {} as Environment, provider, profile: AWS_NLB_PROFILE }),
    (e: unknown) => e instanceof ProfileRefusedError && /profile aws-nlb on provider local: drain\.kind is deregister/.test(e.message),
  );
  assert.equal(started, false);
});
