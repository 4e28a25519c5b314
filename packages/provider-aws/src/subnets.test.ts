import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickSubnets, type SubnetCandidate } from './subnets.ts';

const s = (id: string, zone: string, tags: Record<string, string> = {}, vpcId = 'vpc-1'): SubnetCandidate => ({ id, zone, vpcId, tags });

test('one subnet per zone: cluster-tagged first, then the lowest ID', () => {
  const picked = pickSubnets(
    [s('subnet-0c', 'a'), s('subnet-0b', 'a'), s('subnet-0z', 'b', { 'kubernetes.io/cluster/prod': 'shared' }), s('subnet-0a', 'b'), s('subnet-0d', 'c', { 'kubernetes.io/cluster/prod': 'owned' })],
    'prod',
  );
  assert.deepEqual(picked, { subnetIds: ['subnet-0b', 'subnet-0d', 'subnet-0z'] });
});

test("subnets tagged only for another cluster are skipped", () => {
  assert.deepEqual(pickSubnets([s('subnet-01', 'a', { 'kubernetes.io/cluster/other': 'owned' }), s('subnet-02', 'a')], 'prod'), { subnetIds: ['subnet-02'] });
  assert.deepEqual(pickSubnets([s('subnet-01', 'a', { 'kubernetes.io/cluster/other': 'owned' })], 'prod'), { problem: 'none' });
});

test('candidates in several VPCs: the VPC with cluster-tagged subnets wins, else the user must choose', () => {
  const mixed = [s('subnet-01', 'a', {}, 'vpc-1'), s('subnet-02', 'a', { 'kubernetes.io/cluster/prod': 'shared' }, 'vpc-2'), s('subnet-03', 'b', {}, 'vpc-2')];
  assert.deepEqual(pickSubnets(mixed, 'prod'), { subnetIds: ['subnet-02', 'subnet-03'] });
  assert.deepEqual(pickSubnets([s('subnet-01', 'a', {}, 'vpc-1'), s('subnet-02', 'b', {}, 'vpc-2')], 'prod'), { problem: 'the tagged subnets span VPCs vpc-1, vpc-2' });
});

test('no candidate at all', () => {
  assert.deepEqual(pickSubnets([], 'prod'), { problem: 'none' });
});
