/**
 * listInPages(fetchPage): one consistent LIST of a resource, fetched in pages of `limit`
 * items, returned as a single list object for an informer.
 *
 * A single LIST of every pod in a large cluster is one response of tens of megabytes, held
 * as text, then as parsed JSON, then as client-node's typed objects, all at once; the peak
 * stays in the process's resident memory long after the objects are freed. Pages keep that
 * peak to one page. The API server serves every page from the snapshot of the first, so the
 * last page's resourceVersion is the one to watch from; when that snapshot has been
 * compacted away mid-list (410 Gone, an expired continue token) the list starts over.
 */
import type * as k8s from '@kubernetes/client-node';
import { apiStatusCode } from '../controller/cluster.ts';

/** Items per page of a full LIST: small enough to bound memory, large enough to be few requests. */
export const LIST_PAGE_SIZE = 500;

export interface ListPage<T> {
  readonly items: T[];
  readonly metadata?: { readonly _continue?: string; readonly resourceVersion?: string };
}

export interface ListInPagesOptions {
  /** Times a list whose continue token expired (410) is started over. @default 3 */
  readonly restarts?: number;
}

/** What every informer cache keeps of an object: all but `metadata.managedFields`, which Sluice never reads. */
export function dropManagedFields<T extends k8s.KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

export async function listInPages<T extends k8s.KubernetesObject>(
  fetchPage: (cont: string | undefined) => Promise<ListPage<T>>,
  options: ListInPagesOptions = {},
): Promise<k8s.KubernetesListObject<T>> {
  const restarts = options.restarts ?? 3;
  for (let attempt = 0; ; attempt++) {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const page = await fetchPage(cont);
        for (const item of page.items) items.push(dropManagedFields(item));
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        cont = page.metadata?._continue || undefined;
      } while (cont);
    } catch (error) {
      // Only an expired continue token (a later page) is worth starting over for.
      if (cont !== undefined && apiStatusCode(error) === 410 && attempt < restarts) continue;
      throw error;
    }
    return { metadata: { resourceVersion }, items };
  }
}
