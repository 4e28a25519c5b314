import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import { resolveOptions } from './options.ts';

const env = { GOOGLE_CLOUD_PROJECT: 'proj-1', GCP_REGION: 'europe-west1', GCP_NETWORK: 'vpc-1' };

test('options fall back to the environment and are normalized', () => {
  const o = resolveOptions({ clusterName: 'c1' }, { ...env, GCP_SUBNETWORK: 'pods', GCP_COMPUTE_ENDPOINT: 'http://127.0.0.1:8089' });
  assert.equal(o.project, 'proj-1');
  assert.equal(o.network, 'projects/proj-1/global/networks/vpc-1');
  assert.equal(o.subnetwork, 'projects/proj-1/regions/europe-west1/subnetworks/pods');
  assert.equal(o.apiEndpoint?.port, '8089');
  assert.equal(o.operationTimeoutMs, 120000);
  const url = resolveOptions({ clusterName: 'c1', network: 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared' }, env);
  assert.equal(url.network, 'projects/host/global/networks/shared');
});

const missing: [string, Record<string, string>, string][] = [
  ['project', { GCP_REGION: 'europe-west1', GCP_NETWORK: 'v' }, 'GCP provider option project is not set: pass --gcp-project (option project) or set the GOOGLE_CLOUD_PROJECT environment variable.'],
  ['region', { GOOGLE_CLOUD_PROJECT: 'proj-1', GCP_NETWORK: 'v' }, 'GCP provider option region is not set: pass --gcp-region (option region) or set the GCP_REGION environment variable.'],
  ['network', { GOOGLE_CLOUD_PROJECT: 'proj-1', GCP_REGION: 'europe-west1' }, 'GCP provider option network is not set: pass --gcp-network (option network) or set the GCP_NETWORK environment variable.'],
];
for (const [name, e, message] of missing) {
  test(`a missing ${name} is one sentence naming the flag and the variable`, () => {
    assert.throws(() => resolveOptions({ clusterName: 'c1' }, e), (err: unknown) => isTerminalError(err) && (err as Error).message === message);
  });
}

test('bad values are refused', () => {
  assert.throws(() => resolveOptions({ clusterName: 'c1', apiEndpoint: 'http://example.com' }, env), /must be an https URL without a path/);
  assert.throws(() => resolveOptions({ clusterName: 'c1', region: 'Europe' }, env), /--gcp-region \(option region\) is "Europe"/);
  assert.throws(() => resolveOptions({ clusterName: '' }, env), /clusterName/);
  assert.throws(() => resolveOptions({ clusterName: 'c1', operationTimeoutMs: 0 }, env), /operationTimeoutMs/);
});

test('the health-check interval: option, else SLUICE_GCP_HEALTHCHECK_INTERVAL, else 5 s; 1-300 whole seconds', () => {
  assert.equal(resolveOptions({ clusterName: 'c1' }, env).healthCheckIntervalSeconds, 5);
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_HEALTHCHECK_INTERVAL: '2' }).healthCheckIntervalSeconds, 2);
  assert.equal(resolveOptions({ clusterName: 'c1', healthCheckIntervalSeconds: 30 }, { ...env, SLUICE_GCP_HEALTHCHECK_INTERVAL: '2' }).healthCheckIntervalSeconds, 30);
  assert.throws(
    () => resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_HEALTHCHECK_INTERVAL: 'soon' }),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'GCP provider SLUICE_GCP_HEALTHCHECK_INTERVAL (option healthCheckIntervalSeconds) is "soon", but it must be a whole number of seconds from 1 to 300.',
  );
  assert.throws(() => resolveOptions({ clusterName: 'c1', healthCheckIntervalSeconds: 301 }, env), /option healthCheckIntervalSeconds is 301/);
});

test('the draining timeout: option, else SLUICE_GCP_DRAINING_TIMEOUT, else 300 s; 0-3600 whole seconds', () => {
  assert.equal(resolveOptions({ clusterName: 'c1' }, env).drainingTimeoutSeconds, 300);
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_DRAINING_TIMEOUT: '0' }).drainingTimeoutSeconds, 0);
  assert.equal(resolveOptions({ clusterName: 'c1', drainingTimeoutSeconds: 30 }, { ...env, SLUICE_GCP_DRAINING_TIMEOUT: '2' }).drainingTimeoutSeconds, 30);
  assert.throws(
    () => resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_DRAINING_TIMEOUT: '1h' }),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'GCP provider SLUICE_GCP_DRAINING_TIMEOUT (option drainingTimeoutSeconds) is "1h", but it must be a whole number of seconds from 0 to 3600.',
  );
  assert.throws(() => resolveOptions({ clusterName: 'c1', drainingTimeoutSeconds: 3601 }, env), /option drainingTimeoutSeconds is 3601/);
});

test('prerequisite checks (default on) and firewall rule creation (default off): option, else true/false in the environment', () => {
  const resolved = resolveOptions({ clusterName: 'c1' }, env);
  assert.deepEqual([resolved.checkPrerequisites, resolved.createFirewallRules], [true, false]);
  const fromEnv = resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_CHECK_PREREQUISITES: 'false', SLUICE_GCP_CREATE_FIREWALL_RULES: 'true' });
  assert.deepEqual([fromEnv.checkPrerequisites, fromEnv.createFirewallRules], [false, true]);
  assert.equal(resolveOptions({ clusterName: 'c1', createFirewallRules: false }, { ...env, SLUICE_GCP_CREATE_FIREWALL_RULES: 'true' }).createFirewallRules, false);
  assert.throws(
    () => resolveOptions({ clusterName: 'c1' }, { ...env, SLUICE_GCP_CREATE_FIREWALL_RULES: 'yes' }),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'GCP provider SLUICE_GCP_CREATE_FIREWALL_RULES (option createFirewallRules) is "yes", but it must be true or false.',
  );
});
