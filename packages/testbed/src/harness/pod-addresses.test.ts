import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpFamily } from './ip-family.ts';
import { podAddressRequest } from './pod-addresses.ts';

const BOTH: IpFamily[] = ['IPv4', 'IPv6'];
const meta = (annotations: Record<string, string>) => ({ name: 'p', annotations });

test('a pod gets the node families, or its own, primary first, with the addresses it chose', () => {
  const cases: { name: string; annotations: Record<string, string>; node: IpFamily[]; want: [IpFamily, string | undefined][] }[] = [
    { name: 'node default, single-stack', annotations: {}, node: ['IPv4'], want: [['IPv4', undefined]] },
    { name: 'node default, dual-stack', annotations: {}, node: BOTH, want: [['IPv4', undefined], ['IPv6', undefined]] },
    { name: 'IPv6-only pod on a dual-stack node', annotations: { 'sim.sluice.dev/ip-families': 'IPv6' }, node: BOTH, want: [['IPv6', undefined]] },
    { name: 'IPv6 primary', annotations: { 'sim.sluice.dev/ip-families': 'IPv6, IPv4' }, node: ['IPv4'], want: [['IPv6', undefined], ['IPv4', undefined]] },
    { name: 'a chosen IPv4 address', annotations: { 'sim.sluice.dev/pod-ip': '10.9.7.7' }, node: BOTH, want: [['IPv4', '10.9.7.7'], ['IPv6', undefined]] },
    {
      name: 'one chosen address per family, in any order',
      annotations: { 'sim.sluice.dev/pod-ip': 'fd12::7:7,10.9.7.7' },
      node: BOTH,
      want: [['IPv4', '10.9.7.7'], ['IPv6', 'fd12::7:7']],
    },
  ];
  for (const c of cases) {
    const got = podAddressRequest(meta(c.annotations), c.node, BOTH).map((r) => [r.family, r.address]);
    assert.deepEqual(got, c.want, c.name);
  }
});

test('a request the network cannot give is refused with one sentence naming the annotation and value', () => {
  const cases: { annotations: Record<string, string>; served: IpFamily[]; error: RegExp }[] = [
    { annotations: { 'sim.sluice.dev/ip-families': 'IPv7' }, served: BOTH, error: /annotation sim\.sluice\.dev\/ip-families="IPv7" is invalid: allowed are IPv4, IPv6, IPv4,IPv6 and IPv6,IPv4\.$/ },
    { annotations: { 'sim.sluice.dev/ip-families': 'IPv6,IPv6' }, served: BOTH, error: /ip-families="IPv6,IPv6" is invalid/ },
    { annotations: { 'sim.sluice.dev/ip-families': 'IPv6' }, served: ['IPv4'], error: /pod asks for IPv6 addresses, which the pod network does not have: it serves IPv4\.$/ },
    {
      annotations: { 'sim.sluice.dev/ip-families': 'IPv4', 'sim.sluice.dev/pod-ip': 'fd12::1' },
      served: BOTH,
      error: /annotation sim\.sluice\.dev\/pod-ip="fd12::1" is invalid: allowed is at most one address per family the pod has \(IPv4\), comma-separated\.$/,
    },
    { annotations: { 'sim.sluice.dev/pod-ip': '10.9.1.1,10.9.1.2' }, served: BOTH, error: /pod-ip="10\.9\.1\.1,10\.9\.1\.2" is invalid/ },
    { annotations: { 'sim.sluice.dev/pod-ip': 'pod-a' }, served: BOTH, error: /pod-ip="pod-a" is invalid/ },
  ];
  for (const c of cases) {
    assert.throws(() => podAddressRequest(meta(c.annotations), ['IPv4'], c.served), c.error, JSON.stringify(c.annotations));
  }
});
