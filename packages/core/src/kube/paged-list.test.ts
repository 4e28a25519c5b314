import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { dropManagedFields, type ListPage, listInPages } from './paged-list.ts';

type Pod = k8s.V1Pod;
const pod = (name: string): Pod => ({ metadata: { name, namespace: 'ns', managedFields: [{ manager: 'kubelet', operation: 'Update' }] } });
const gone = Object.assign(new Error('HTTP 410: the provided continue parameter is too old'), { code: 410 });

/** Serves `names` in pages of `size`, every page of one snapshot carrying `rv`. */
function pager(names: string[], size: number, rv: string, failAt?: { cont: string | undefined; error: Error; times: number }) {
  const calls: (string | undefined)[] = [];
  const fetchPage = async (cont: string | undefined): Promise<ListPage<Pod>> => {
    calls.push(cont);
    if (failAt && failAt.cont === cont && failAt.times > 0) {
      failAt.times--;
      throw failAt.error;
    }
    const start = cont === undefined ? 0 : Number(cont);
    const next = start + size < names.length ? String(start + size) : undefined;
    return { items: names.slice(start, start + size).map(pod), metadata: { resourceVersion: rv, ...(next ? { _continue: next } : {}) } };
  };
  return { fetchPage, calls };
}

test('listInPages joins every page into one list with the snapshot resourceVersion and no managedFields', async () => {
  const names = Array.from({ length: 7 }, (_, i) => `p${i}`);
  const { fetchPage, calls } = pager(names, 3, '42');
  const list = await listInPages(fetchPage);
  assert.deepEqual(calls, [undefined, '3', '6']);
  assert.deepEqual(list.items.map((p) => p.metadata?.name), names);
  assert.equal(list.metadata?.resourceVersion, '42');
  assert.ok(list.items.every((p) => p.metadata?.managedFields === undefined));
});

test('listInPages starts over when a continue token has expired (410), and gives up after its restarts', async () => {
  const names = ['a', 'b', 'c', 'd'];
  const once = pager(names, 2, '7', { cont: '2', error: gone, times: 1 });
  const list = await listInPages(once.fetchPage);
  assert.deepEqual(once.calls, [undefined, '2', undefined, '2']);
  assert.deepEqual(list.items.map((p) => p.metadata?.name), names, 'no item twice after the restart');

  const always = pager(names, 2, '7', { cont: '2', error: gone, times: 99 });
  await assert.rejects(listInPages(always.fetchPage, { restarts: 2 }), /continue parameter is too old/);
  assert.equal(always.calls.filter((c) => c === undefined).length, 3);
});

test('listInPages does not retry a failed first page or another error', async () => {
  const first = pager(['a'], 2, '1', { cont: undefined, error: gone, times: 1 });
  await assert.rejects(listInPages(first.fetchPage), /too old/);
  assert.equal(first.calls.length, 1);
  const forbidden = Object.assign(new Error('HTTP 403'), { code: 403 });
  const later = pager(['a', 'b', 'c'], 2, '1', { cont: '2', error: forbidden, times: 1 });
  await assert.rejects(listInPages(later.fetchPage), /403/);
  assert.equal(later.calls.length, 2);
});

test('dropManagedFields removes only managedFields', () => {
  const p = dropManagedFields({ metadata: { name: 'x', labels: { a: 'b' }, managedFields: [] } } as Pod);
  assert.deepEqual(p, { metadata: { name: 'x', labels: { a: 'b' } } });
});
