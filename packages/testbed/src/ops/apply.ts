/**
 * `kubectl apply --server-side` for a list of objects: each is sent as a server-side apply
 * patch, so it creates what is missing and validates against what exists. With `dryRun` the
 * API server runs admission and validation and persists nothing.
 */
import { type KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { describeApiError } from '../harness/api-errors.ts';
import { objectKey } from './manifests.ts';

export interface ApplyOptions {
  /** Validate only, persist nothing. @default false */
  readonly dryRun?: boolean;
  /** @default 'sluice-e2e' */
  readonly fieldManager?: string;
}

/** Applies the objects in order (put Namespaces first); rejects naming the first refused object. */
export async function applyObjects(kc: KubeConfig, objects: readonly KubernetesObject[], options: ApplyOptions = {}): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const o of objects) {
    try {
      applied.push(
        await api.patch(o, undefined, options.dryRun ? 'All' : undefined, options.fieldManager ?? 'sluice-e2e', true, PatchStrategy.ServerSideApply),
      );
    } catch (error) {
      throw new Error(`applying ${objectKey(o)}${options.dryRun ? ' (dry run)' : ''} was refused: ${describeApiError(error)}`, { cause: error });
    }
  }
  return applied;
}
