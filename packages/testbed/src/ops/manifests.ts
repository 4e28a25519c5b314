/**
 * Reading Kubernetes manifests the way kubectl does: multi-document YAML parsed with
 * client-node's loadAllYaml, and a kustomization's file list. Plus the normalisation that lets
 * a Helm rendering be compared with the plain manifests object by object.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type KubernetesObject, loadAllYaml, loadYaml } from '@kubernetes/client-node';

/**
 * Every object in a multi-document YAML text, as plain data (client-node's model classes
 * turned back into JSON values, so two parses compare by content alone); empty documents
 * (Helm's `---` leftovers) dropped. loadAllYaml keeps only the fields its models know, so a
 * misspelt field disappears here: the comparisons catch it when the other source spells it right.
 */
export function parseObjects(text: string): KubernetesObject[] {
  return (loadAllYaml(text) as (KubernetesObject | null)[])
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object')
    .map((o) => JSON.parse(JSON.stringify(o)) as KubernetesObject);
}

/**
 * The objects a kustomization directory lists as plain files, in order. Fails when the
 * directory holds a manifest the kustomization does not list (it would silently not be applied).
 */
export async function loadKustomizationFiles(dir: string): Promise<KubernetesObject[]> {
  const k = loadYaml<{ resources?: string[] }>(await readFile(join(dir, 'kustomization.yaml'), 'utf8'));
  const listed = k.resources ?? [];
  const present = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
  const unlisted = present.filter((f) => !listed.includes(f));
  if (unlisted.length > 0) throw new Error(`${dir}/kustomization.yaml does not list ${unlisted.join(', ')}`);
  const objects: KubernetesObject[] = [];
  for (const file of listed) objects.push(...parseObjects(await readFile(join(dir, file), 'utf8')));
  return objects;
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped). */
export function objectKey(o: KubernetesObject): string {
  const ns = o.metadata?.namespace;
  return `${o.kind} ${ns ? `${ns}/` : ''}${o.metadata?.name}`;
}

/** Labels Helm adds for its own bookkeeping; everything else must match the plain manifests. */
export const HELM_ONLY_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by'] as const;

/** A deep copy without Helm's bookkeeping labels, for comparing a rendering with deploy/. */
export function withoutHelmLabels(o: KubernetesObject): KubernetesObject {
  const copy = structuredClone(o);
  const labels = copy.metadata?.labels;
  if (labels) for (const l of HELM_ONLY_LABELS) delete labels[l];
  return copy;
}

/** Objects by {@link objectKey}; a duplicate key is an error. */
export function byKey(objects: readonly KubernetesObject[]): Map<string, KubernetesObject> {
  const map = new Map<string, KubernetesObject>();
  for (const o of objects) {
    const key = objectKey(o);
    if (map.has(key)) throw new Error(`${key} appears twice`);
    map.set(key, o);
  }
  return map;
}
