import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { preStopAction } from './lifecycle-hooks.ts';
import { assignPods, podFitsNode } from './pod-scheduling.ts';

const node = (name: string, zone: string): V1Node => ({
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, owner: string, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name, namespace: 'ns', uid: name, creationTimestamp: new Date(0), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
  spec: { containers: [], ...extra },
});
const nodes = [node('b', 'zone-b'), node('a', 'zone-a')];

test('assignPods spreads replicas of one owner and honours node selectors', () => {
  const cases: { name: string; pending: V1Pod[]; bound?: V1Pod[]; want: Record<string, string> }[] = [
    { name: 'two replicas created together go to different nodes', pending: [pod('p1', 'rs'), pod('p2', 'rs')], want: { p1: 'a', p2: 'b' } },
    {
      name: 'a replacement goes where its owner has fewer pods',
      pending: [pod('p3', 'rs')],
      bound: [pod('p1', 'rs', { nodeName: 'b' })],
      want: { p3: 'a' },
    },
    {
      name: 'nodeSelector pins the zone',
      pending: [pod('p1', 'rs', { nodeSelector: { 'topology.kubernetes.io/zone': 'zone-b' } }), pod('p2', 'rs', { nodeSelector: { 'topology.kubernetes.io/zone': 'zone-b' } })],
      want: { p1: 'b', p2: 'b' },
    },
    {
      name: 'a pod still pending in a stale cache but already bound is not placed twice',
      pending: [pod('p1', 'rs'), pod('p2', 'rs')],
      bound: [pod('p1', 'rs', { nodeName: 'b' })],
      want: { p2: 'a' },
    },
    { name: 'no fitting node leaves the pod pending', pending: [pod('p1', 'rs', { nodeSelector: { missing: 'x' } })], want: {} },
    { name: 'gated pods are not scheduled', pending: [pod('p1', 'rs', { schedulingGates: [{ name: 'wait' }] })], want: {} },
  ];
  for (const c of cases) {
    const got = assignPods(c.pending, { nodes, boundPods: c.bound ?? [] });
    assert.deepEqual(Object.fromEntries(got), c.want, c.name);
  }
});

test('required node affinity matches like the scheduler', () => {
  const affinity = (operator: string, values?: string[]) =>
    pod('p', 'rs', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator, values }] }] } } },
    });
  assert.equal(podFitsNode(affinity('In', ['zone-a']), node('a', 'zone-a')), true);
  assert.equal(podFitsNode(affinity('In', ['zone-a']), node('b', 'zone-b')), false);
  assert.equal(podFitsNode(affinity('NotIn', ['zone-a']), node('b', 'zone-b')), true);
  assert.equal(podFitsNode(affinity('DoesNotExist'), node('a', 'zone-a')), false);
});

test('preStop hooks reduce to the delay they cause', () => {
  const cases: { hook: object | undefined; want: ReturnType<typeof preStopAction> }[] = [
    { hook: undefined, want: { kind: 'none' } },
    { hook: { sleep: { seconds: 3 } }, want: { kind: 'sleep', seconds: 3 } },
    { hook: { exec: { command: ['sleep', '5'] } }, want: { kind: 'sleep', seconds: 5 } },
    { hook: { exec: { command: ['/bin/sh', '-c', 'sleep 2.5 && echo bye'] } }, want: { kind: 'sleep', seconds: 2.5 } },
    { hook: { exec: { command: ['/usr/bin/sleep', '7'] } }, want: { kind: 'sleep', seconds: 7 } },
    { hook: { exec: { command: ['nginx', '-s', 'quit'] } }, want: { kind: 'none' } },
    { hook: { httpGet: { path: '/drain', port: 'http' } }, want: { kind: 'httpGet', path: '/drain', port: 'http' } },
  ];
  for (const c of cases) {
    const container = { name: 'c', ...(c.hook ? { lifecycle: { preStop: c.hook } } : {}) };
    assert.deepEqual(preStopAction(container), c.want, JSON.stringify(c.hook));
  }
});
