/**
 * AzureApi.settle against a scripted ARM endpoint with the real SDK client: the write is
 * followed on its Azure-AsyncOperation URL to the end and the resource is never read back;
 * a Failed operation, a refused PUT and a throttled poll behave as with the SDK's own poller.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SecurityRule } from '@azure/arm-network';
import { RetryableError, TerminalError } from '@sluice/core';
import { recordingLogger } from '@sluice/core/testing';
import { AzureApi } from './azure-api.ts';
import { resolveOptions } from './options.ts';
import { startArmServer } from './test-support/arm-server.ts';
import type { ArmReply, ArmRequest } from './test-support/fake-arm.ts';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const RG = 'rg';
const RULE_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/sluice-1-http`;
const OP_PATH = `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operations/op-1`;
const RULE: SecurityRule = { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 3000, sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '10.1.0.4', destinationPortRange: '8080' };

interface Script {
  /** The answer to the PUT. */
  readonly put: (req: ArmRequest) => ArmReply;
  /** The answers to the operation polls, in order (the last repeats). */
  readonly polls: readonly ArmReply[];
}

async function withScript(script: Script, fn: (api: AzureApi, seen: string[]) => Promise<void>): Promise<void> {
  const seen: string[] = [];
  let poll = 0;
  const server = await startArmServer(
    (req) => {
      seen.push(`${req.method} ${req.path}${req.query.get('api-version') ? '' : ' (no api-version)'}`);
      if (req.method === 'PUT' && req.path === RULE_PATH) return script.put(req);
      if (req.method === 'GET' && req.path === OP_PATH) return script.polls[Math.min(poll++, script.polls.length - 1)]!;
      return { status: 404, body: { error: { code: 'NotFound', message: `${req.method} ${req.path}` } } };
    },
    { http: true },
  );
  const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const options = resolveOptions(
    { clusterName: 'c1', subscriptionId: SUB, resourceGroup: RG, location: 'westeurope', virtualNetworkId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/v`, credential, pollIntervalMs: 5, maxRetries: 2, log: recordingLogger([]) },
    { AZURE_ARM_ENDPOINT: server.endpoint },
  );
  try {
    await fn(new AzureApi(options), seen);
  } finally {
    await server.close();
  }
}

function accepted(req: ArmRequest): ArmReply {
  return {
    status: 201,
    headers: { 'Azure-AsyncOperation': `${req.origin}${OP_PATH}?api-version=2024-05-01` },
    body: { name: 'sluice-1-http', id: RULE_PATH, etag: 'W/"1"', properties: { ...RULE, provisioningState: 'Updating' } },
  };
}

function write(api: AzureApi): Promise<void> {
  return api.settle('securityRules.createOrUpdate', 'nsg/sluice-1-http', AbortSignal.timeout(10_000), (o) => api.client.securityRules.createOrUpdate(RG, 'nsg', 'sluice-1-http', RULE, o));
}

test('a write is followed to Succeeded on its operation URL and the rule is not read back', async () => {
  await withScript({ put: accepted, polls: [{ status: 200, body: { status: 'InProgress' } }, { status: 200, body: { status: 'Succeeded' } }] }, async (api, seen) => {
    await write(api);
    assert.deepEqual(seen, [`PUT ${RULE_PATH}`, `GET ${OP_PATH}`, `GET ${OP_PATH}`], 'the PUT, two polls, no GET of the rule');
  });
});

test('an operation that ends Failed rejects with Azure\'s code and message, retryable as with the SDK poller', async () => {
  const failed: ArmReply = { status: 200, body: { status: 'Failed', error: { code: 'InternalServerError', message: 'The rule could not be programmed.' } } };
  await withScript({ put: accepted, polls: [failed] }, async (api) => {
    await assert.rejects(write(api), (error: unknown) => {
      assert.ok(error instanceof RetryableError, String(error));
      assert.match((error as Error).message, /InternalServerError/);
      assert.match((error as Error).message, /could not be programmed/);
      return true;
    });
  });
});

test('a PUT Azure refuses is a TerminalError naming its code, and nothing is polled', async () => {
  const refused = (): ArmReply => ({ status: 400, body: { error: { code: 'SecurityRuleInvalidPortRange', message: 'Security rule has invalid Port range.' } } });
  await withScript({ put: refused, polls: [] }, async (api, seen) => {
    await assert.rejects(write(api), (error: unknown) => {
      assert.ok(error instanceof TerminalError, String(error));
      assert.match((error as Error).message, /SecurityRuleInvalidPortRange/);
      return true;
    });
    assert.deepEqual(seen, [`PUT ${RULE_PATH}`]);
  });
});

test('a throttled poll is retried by the client\'s pipeline after Retry-After', async () => {
  const throttled: ArmReply = { status: 429, headers: { 'Retry-After': '0' }, body: { error: { code: 'SubscriptionRequestsThrottled', message: 'Too many requests.' } } };
  await withScript({ put: accepted, polls: [throttled, { status: 200, body: { status: 'Succeeded' } }] }, async (api, seen) => {
    await write(api);
    assert.deepEqual(seen, [`PUT ${RULE_PATH}`, `GET ${OP_PATH}`, `GET ${OP_PATH}`]);
  });
});

test('an operation URL without api-version is polled with the write\'s', async () => {
  const bare = (req: ArmRequest): ArmReply => ({ ...accepted(req), headers: { 'Azure-AsyncOperation': `${req.origin}${OP_PATH}` } });
  await withScript({ put: bare, polls: [{ status: 200, body: { status: 'Succeeded' } }] }, async (api, seen) => {
    await write(api);
    assert.deepEqual(seen, [`PUT ${RULE_PATH}`, `GET ${OP_PATH}`]);
  });
});
