/**
 * The program the credential test runs in a child process (NODE_EXTRA_CA_CERTS is only read
 * at process start), configured by nothing but the environment the ARM test server hands
 * out, exactly as the controller would be: `new DefaultAzureCredential()` with no options
 * gets a token, and a `NetworkManagementClient` pointed at `AZURE_ARM_ENDPOINT` creates a
 * public IP (waiting on its poller) and lists it back. Prints one JSON line with the
 * outcome; exits 1 on failure.
 *
 * Environment: the server's `env`, plus `SUBSCRIPTION_ID` and `RESOURCE_GROUP` (which must exist).
 * With `DISABLE_INSTANCE_DISCOVERY=1` the credential is built as the azure provider builds it:
 * `new DefaultAzureCredential({ authorityHost: AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true })`.
 */
import { NetworkManagementClient } from '@azure/arm-network';
import { DefaultAzureCredential } from '@azure/identity';

const endpoint = process.env['AZURE_ARM_ENDPOINT'];
const subscriptionId = process.env['SUBSCRIPTION_ID'];
const resourceGroup = process.env['RESOURCE_GROUP'];

try {
  if (!endpoint || !subscriptionId || !resourceGroup) throw new Error('AZURE_ARM_ENDPOINT, SUBSCRIPTION_ID and RESOURCE_GROUP must be set');
  const credential =
    process.env['DISABLE_INSTANCE_DISCOVERY'] === '1'
      ? new DefaultAzureCredential({ authorityHost: process.env['AZURE_AUTHORITY_HOST'], disableInstanceDiscovery: true })
      : new DefaultAzureCredential();
  const token = await credential.getToken('https://management.azure.com/.default');
  const client = new NetworkManagementClient(credential, subscriptionId, { endpoint });
  const pip = await client.publicIPAddresses.createOrUpdate(
    resourceGroup,
    process.env['PIP_NAME'] ?? 'child-pip',
    { location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' },
    { updateIntervalInMs: 20 },
  );
  const names: string[] = [];
  for await (const p of client.publicIPAddresses.list(resourceGroup)) names.push(p.name ?? '');
  process.stdout.write(`${JSON.stringify({ ok: true, tokenLength: token.token.length, ipAddress: pip.ipAddress, provisioningState: pip.provisioningState, names })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })}\n`);
  process.exitCode = 1;
}
