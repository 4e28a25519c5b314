import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { perWindow } from '../kit/limits.ts';
import { route } from './compute-context.ts';
import { COMPUTE_DEFAULT_LIMITS, computeCharges, regionFromZoneName } from './compute-quotas.ts';

const P = '/compute/v1/projects/{project}';
const handler = () => ({});

describe('Compute rate quotas', () => {
  it('default every group to 1,500 requests per minute', () => {
    for (const limit of Object.values(COMPUTE_DEFAULT_LIMITS)) assert.deepEqual(limit, perWindow(1_500, 60_000));
  });

  const zones = (project: string, zone: string) => (project === 'p' && zone === 'odd-zone' ? 'odd-region' : regionFromZoneName(zone));
  const cases: { r: ReturnType<typeof route>; params: Record<string, string>; want: string }[] = [
    { r: route('GET', `${P}/zones/{zone}/networkEndpointGroups/{neg}`, 'compute.networkEndpointGroups.get', handler), params: { project: 'p', zone: 'us-central1-a' }, want: 'reads_per_region p/us-central1' },
    { r: route('POST', `${P}/zones/{zone}/networkEndpointGroups/{neg}/attachNetworkEndpoints`, 'compute.networkEndpointGroups.attachNetworkEndpoints', handler), params: { project: 'p', zone: 'odd-zone' }, want: 'writes_per_region p/odd-region' },
    { r: route('POST', `${P}/zones/{zone}/networkEndpointGroups/{neg}/listNetworkEndpoints`, 'compute.networkEndpointGroups.listNetworkEndpoints', handler), params: { project: 'p', zone: 'europe-west1-b' }, want: 'reads_per_region p/europe-west1' },
    { r: route('POST', `${P}/regions/{region}/backendServices/{bs}/getHealth`, 'compute.regionBackendServices.getHealth', handler), params: { project: 'p', region: 'us-east1' }, want: 'reads_per_region p/us-east1' },
    { r: route('PATCH', `${P}/regions/{region}/backendServices/{bs}`, 'compute.regionBackendServices.patch', handler), params: { project: 'p', region: 'us-east1' }, want: 'writes_per_region p/us-east1' },
    { r: route('POST', `${P}/zones/{zone}/operations/{operation}/wait`, 'compute.zoneOperations.wait', handler), params: { project: 'p', zone: 'us-central1-a' }, want: 'reads_per_region p/us-central1' },
    { r: route('GET', `${P}/global/networks/{network}`, 'compute.networks.get', handler), params: { project: 'p' }, want: 'global_reads p' },
    { r: route('GET', `${P}/zones/{zone}`, 'compute.zones.get', handler), params: { project: 'p', zone: 'us-central1-a' }, want: 'global_reads p' },
  ];
  for (const c of cases) {
    it(`${c.r.operation} counts against ${c.want}`, () => {
      assert.deepEqual(
        computeCharges(c.r, c.params, zones).map((x) => `${x.limit} ${x.scope}`),
        [c.want],
      );
    });
  }
});
