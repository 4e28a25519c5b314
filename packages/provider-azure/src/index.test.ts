import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTerminalError } from '@sluice/core';
import * as azure from './index.ts';
import { parseAzureAnnotations } from './annotations.ts';
import { resolveOptions } from './options.ts';

const VNET = '/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet';
const ENV = { AZURE_SUBSCRIPTION_ID: 'sub-1', AZURE_RESOURCE_GROUP: 'rg-1', AZURE_LOCATION: 'westeurope', AZURE_VNET_ID: VNET };

test('the provider: name, capabilities, annotation and tag constants', () => {
  const provider = new azure.AzureLoadBalancer({ clusterName: 'c1' }, ENV);
  assert.equal(provider.providerName, 'azure');
  assert.deepEqual(provider.capabilities, { weights: false, drainInPlace: true, drainMode: 'native', maxBatch: 1000, protocols: ['TCP', 'UDP'], tracksPodUid: false, honours: { sourceRanges: false, loadBalancerIP: false, sessionAffinity: false, ipFamilies: ['IPv4'] }, ipMode: 'VIP', healthCheckIntervalMs: 5_000 });
  assert.equal(azure.PUBLIC_IP_NAME_ANNOTATION, 'sluice.dev/azure-public-ip-name');
  assert.equal(azure.INTERNAL_ANNOTATION, 'sluice.dev/azure-internal');
  assert.equal(azure.INTERNAL_SUBNET_ID_ANNOTATION, 'sluice.dev/azure-internal-subnet-id');
  assert.equal(azure.PROBE_INTERVAL_ANNOTATION, 'sluice.dev/azure-probe-interval');
  assert.equal(azure.PROBE_THRESHOLD_ANNOTATION, 'sluice.dev/azure-probe-threshold');
  assert.equal(azure.IDLE_TIMEOUT_ANNOTATION, 'sluice.dev/azure-idle-timeout');
  assert.equal(azure.LOAD_BALANCER_NAME_ANNOTATION, 'sluice.dev/azure-load-balancer-name');
  assert.equal(azure.AZURE_ANNOTATIONS.length, 7);
  assert.deepEqual([azure.TAG_SHARED, azure.TAG_SHARED_SERVICE_PREFIX], ['sluice-shared', 'sluice-svc-']);
  assert.deepEqual(
    [azure.TAG_CLUSTER, azure.TAG_SERVICE_NAMESPACE, azure.TAG_SERVICE_NAME, azure.TAG_SERVICE_UID, azure.TAG_MANAGED_BY, azure.MANAGED_BY],
    ['sluice-cluster', 'sluice-service-namespace', 'sluice-service-name', 'sluice-service-uid', 'sluice-managed-by', 'sluice'],
  );
  const svc = { namespace: 'shop', name: 'web', uid: 'u', ports: [], annotations: {} };
  assert.equal(provider.getLoadBalancerName('c1', svc), azure.loadBalancerName('c1', svc));
  assert.deepEqual(provider.validate(svc), []);
  assert.equal(typeof azure.createAzureProvider, 'function');
});

test('options fall back to the environment and defaults are filled in one place', () => {
  const o = resolveOptions({ clusterName: 'c1' }, ENV);
  assert.deepEqual(
    { ...o, log: undefined },
    {
      clusterName: 'c1',
      subscriptionId: 'sub-1',
      resourceGroup: 'rg-1',
      location: 'westeurope',
      virtualNetworkId: VNET,
      endpoint: 'https://management.azure.com',
      credential: undefined,
      authorityHost: undefined,
      pollIntervalMs: undefined,
      probeIntervalSeconds: 5,
      probeThreshold: 2,
      sharedLoadBalancers: [],
      securityGroup: undefined,
      securityRulePriorities: { min: 3000, max: 3999 },
      maxRetries: 5,
      log: undefined,
      networkClient: undefined,
    },
  );
  const given = resolveOptions({ clusterName: 'c1', subscriptionId: 'sub-2', location: 'NorthEurope', endpoint: 'https://management.chinacloudapi.cn/', maxRetries: 0, pollIntervalMs: 100 }, { ...ENV, AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn' });
  assert.deepEqual(
    [given.subscriptionId, given.location, given.endpoint, given.maxRetries, given.pollIntervalMs, given.authorityHost],
    ['sub-2', 'northeurope', 'https://management.chinacloudapi.cn', 0, 100, 'https://login.chinacloudapi.cn'],
  );
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...ENV, AZURE_POLL_INTERVAL_MS: '250' }).pollIntervalMs, 250);
  assert.equal(resolveOptions({ clusterName: 'c1', pollIntervalMs: 5 }, { ...ENV, AZURE_POLL_INTERVAL_MS: '250' }).pollIntervalMs, 5, 'the option wins');
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...ENV, AZURE_ARM_ENDPOINT: 'http://127.0.0.1:8443' }).endpoint, 'http://127.0.0.1:8443', 'http on loopback is allowed for test servers');
});

test('the probe interval: option, else SLUICE_AZURE_PROBE_INTERVAL, else 5 s; it sets unannotated probes and the poll the core uses', () => {
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_PROBE_INTERVAL: '15' }).probeIntervalSeconds, 15);
  assert.equal(resolveOptions({ clusterName: 'c1', probeIntervalSeconds: 10 }, { ...ENV, SLUICE_AZURE_PROBE_INTERVAL: '15' }).probeIntervalSeconds, 10, 'the option wins');
  assert.throws(
    () => resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_PROBE_INTERVAL: '1' }),
    (e: unknown) => isTerminalError(e) && (e as Error).message === 'Azure provider SLUICE_AZURE_PROBE_INTERVAL (option probeIntervalSeconds) is "1", but it must be a whole number of seconds from 5 to 300.',
  );
  const provider = new azure.AzureLoadBalancer({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_PROBE_INTERVAL: '15' });
  assert.equal(provider.capabilities.healthCheckIntervalMs, 15_000);
  assert.deepEqual(provider.validate({ namespace: 'shop', name: 'web', uid: 'u', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], annotations: {} }), []);
  assert.equal(parseAzureAnnotations({ namespace: 'shop', name: 'web', uid: 'u', ports: [], annotations: {} }, { probeIntervalSeconds: 15 }).settings.probeIntervalSeconds, 15);
  assert.equal(parseAzureAnnotations({ namespace: 'shop', name: 'web', uid: 'u', ports: [], annotations: { 'sluice.dev/azure-probe-interval': '30' } }, { probeIntervalSeconds: 15 }).settings.probeIntervalSeconds, 30, 'the annotation wins');
});

test('the probe threshold: option, else SLUICE_AZURE_PROBE_THRESHOLD, else 2; it sets unannotated probes, the annotation wins', () => {
  assert.equal(resolveOptions({ clusterName: 'c1' }, ENV).probeThreshold, 2);
  assert.equal(resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_PROBE_THRESHOLD: '1' }).probeThreshold, 1);
  assert.equal(resolveOptions({ clusterName: 'c1', probeThreshold: 3 }, { ...ENV, SLUICE_AZURE_PROBE_THRESHOLD: '1' }).probeThreshold, 3, 'the option wins');
  for (const bad of ['0', '11', 'two']) {
    assert.throws(
      () => resolveOptions({ clusterName: 'c1' }, { ...ENV, SLUICE_AZURE_PROBE_THRESHOLD: bad }),
      (e: unknown) => isTerminalError(e) && (e as Error).message === `Azure provider SLUICE_AZURE_PROBE_THRESHOLD (option probeThreshold) is "${bad}", but it must be a whole number from 1 to 10.`,
    );
  }
  const view = { namespace: 'shop', name: 'web', uid: 'u', ports: [] };
  assert.equal(parseAzureAnnotations({ ...view, annotations: {} }, { probeThreshold: 1 }).settings.probeThreshold, 1);
  assert.equal(parseAzureAnnotations({ ...view, annotations: { 'sluice.dev/azure-probe-threshold': '4' } }, { probeThreshold: 1 }).settings.probeThreshold, 4, 'the annotation wins');
});

test('a missing or bad option is one terminal sentence naming the option and its variable', () => {
  const cases: [Parameters<typeof resolveOptions>[0], Record<string, string>, string][] = [
    [{ clusterName: '' }, ENV, 'Azure provider option clusterName is "", but it must be a non-empty string of at most 200 characters.'],
    [{ clusterName: 'c1' }, { ...ENV, AZURE_SUBSCRIPTION_ID: '' }, 'Azure provider option subscriptionId is not set: pass --azure-subscription-id (option subscriptionId) or set the AZURE_SUBSCRIPTION_ID environment variable.'],
    [{ clusterName: 'c1' }, { ...ENV, AZURE_RESOURCE_GROUP: '' }, 'Azure provider option resourceGroup is not set: pass --azure-resource-group (option resourceGroup) or set the AZURE_RESOURCE_GROUP environment variable.'],
    [{ clusterName: 'c1' }, { ...ENV, AZURE_LOCATION: '' }, 'Azure provider option location is not set: pass --azure-location (option location) or set the AZURE_LOCATION environment variable.'],
    [{ clusterName: 'c1' }, { ...ENV, AZURE_VNET_ID: '' }, 'Azure provider option virtualNetworkId is not set: pass --azure-vnet-id (option virtualNetworkId) or set the AZURE_VNET_ID environment variable.'],
    [
      { clusterName: 'c1' },
      { ...ENV, AZURE_VNET_ID: 'vnet-pods' },
      'Azure provider AZURE_VNET_ID (option virtualNetworkId) is "vnet-pods", but it must be a virtual network resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>).',
    ],
    [{ clusterName: 'c1', location: 'West Europe' }, ENV, 'Azure provider --azure-location (option location) is "West Europe", but it must be an Azure region name such as westeurope.'],
    [
      { clusterName: 'c1' },
      { ...ENV, AZURE_ARM_ENDPOINT: 'http://arm.example.com' },
      'Azure provider AZURE_ARM_ENDPOINT (option endpoint) is "http://arm.example.com", but it must be an https URL without a path such as https://management.azure.com (http only on a loopback address, for test servers).',
    ],
    [
      { clusterName: 'c1', endpoint: 'https://management.azure.com/subscriptions' },
      ENV,
      'Azure provider --azure-endpoint (option endpoint) is "https://management.azure.com/subscriptions", but it must be an https URL without a path such as https://management.azure.com (http only on a loopback address, for test servers).',
    ],
    [{ clusterName: 'c1', maxRetries: -1 }, ENV, 'Azure provider option maxRetries is -1, but it must be a whole number of at least 0.'],
    [{ clusterName: 'c1', pollIntervalMs: Number.NaN }, ENV, 'Azure provider option pollIntervalMs is NaN, but it must be a whole number of milliseconds of at least 0.'],
    [{ clusterName: 'c1' }, { ...ENV, AZURE_POLL_INTERVAL_MS: '2s' }, 'Azure provider AZURE_POLL_INTERVAL_MS (option pollIntervalMs) is "2s", but it must be a whole number of milliseconds of at least 0.'],
  ];
  for (const [options, env, message] of cases) {
    assert.throws(
      () => resolveOptions(options, env),
      (e: unknown) => isTerminalError(e) && (e as Error).message === message,
      message,
    );
  }
});

test('createAzureProvider reads process.env', () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, ENV);
    assert.equal(azure.createAzureProvider({ clusterName: 'c1' }).options.resourceGroup, 'rg-1');
    delete process.env['AZURE_RESOURCE_GROUP'];
    assert.throws(() => azure.createAzureProvider({ clusterName: 'c1' }), /AZURE_RESOURCE_GROUP/);
  } finally {
    for (const k of Object.keys(ENV)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
