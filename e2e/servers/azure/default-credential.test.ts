/**
 * The token flow exactly as the controller will run it: a child process (so
 * NODE_EXTRA_CA_CERTS applies) configured only by the server's `env`, using
 * `new DefaultAzureCredential()` with no options, then the SDK against the server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type ArmServer, startArmServer } from './arm-server.ts';

const PROGRAM = fileURLToPath(new URL('./default-credential-check.ts', import.meta.url));
const E2E_DIR = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  readonly ok: boolean;
  readonly error?: string;
  readonly ipAddress?: string;
  readonly provisioningState?: string;
  readonly names?: string[];
}

/** Runs the check program with exactly `env` (plus PATH); never the parent's Azure variables. */
function runCheck(env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@sluice/source', PROGRAM],
      { cwd: E2E_DIR, env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as Outcome);
        } catch {
          reject(new Error(`the check program printed no result (${err?.message ?? 'exit 0'}): ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

describe('DefaultAzureCredential in a child process, configured by the server env only', () => {
  let server: ArmServer;

  before(async () => {
    server = await startArmServer({ operations: { durationMs: 50 }, retryAfterSeconds: 0 });
    server.state.createResourceGroup('sub-child', 'rg', 'westeurope');
  });
  after(() => server.stop());

  it('gets a token (instance discovery answered through the proxy) and drives the SDK', async () => {
    const outcome = await runCheck({ ...server.env, SUBSCRIPTION_ID: 'sub-child', RESOURCE_GROUP: 'rg' });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.provisioningState, 'Succeeded');
    assert.match(outcome.ipAddress ?? '', /^203\.0\.113\./);
    assert.deepEqual(outcome.names, ['child-pip']);
    const ops = server.requests.byOperation();
    assert.ok((ops['Entra_InstanceDiscovery'] ?? 0) >= 1, 'MSAL asked for instance discovery and got it from the server');
    assert.ok(
      server.requests.entries().some((r) => r.operation === 'Entra_InstanceDiscovery' && r.host === 'login.microsoftonline.com'),
      'the discovery request was addressed to login.microsoftonline.com and answered locally through the proxy',
    );
    assert.ok((ops['Entra_OpenIdConfiguration'] ?? 0) >= 1);
    assert.ok((ops['Entra_Token'] ?? 0) >= 1);
    assert.equal(server.requests.count((r) => r.service === 'arm' && r.status === 401), 0);
  });

  it('also works as the provider builds it: authorityHost with instance discovery disabled, no proxy', async () => {
    const { HTTPS_PROXY: _proxy, NO_PROXY: _noProxy, ...env } = server.env;
    const discoveries = server.requests.count('Entra_InstanceDiscovery');
    const outcome = await runCheck({ ...env, DISABLE_INSTANCE_DISCOVERY: '1', PIP_NAME: 'provider-pip', SUBSCRIPTION_ID: 'sub-child', RESOURCE_GROUP: 'rg' });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.provisioningState, 'Succeeded');
    assert.equal(server.requests.count('Entra_InstanceDiscovery'), discoveries, 'no instance discovery was asked for');
  });

  it('fails with an authentication error for a wrong secret', async () => {
    const outcome = await runCheck({ ...server.env, AZURE_CLIENT_SECRET: 'not-the-secret', SUBSCRIPTION_ID: 'sub-child', RESOURCE_GROUP: 'rg' });
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /AADSTS7000215/);
  });

  it('has a proxy that forwards nothing', async () => {
    const proxy = new URL(server.proxyUrl!);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: 'example.com:443' });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });
});
