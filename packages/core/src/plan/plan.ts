/**
 * Desired vs actual -> the minimal ordered list of backend actions. Pure.
 *
 * Plain set algebra over address keys (`servicePort|ip|port`):
 * - desired and not on the LB: `register` (never for a draining pod: a pod on its way out
 *   is not put on the LB);
 * - on the LB for another pod UID (the IP was reused): `register` replaces it, so the new
 *   pod starts from `initial` health and does not inherit the dead pod's;
 * - on the LB with another weight: `drain` when the desired weight is 0, else `reweight`;
 * - on the LB and not desired: `deregister` (the pod is gone or has exited).
 *
 * Order: registers, then reweights, then drains, then deregisters. A replacement is thus
 * always on the LB before anything it replaces is drained or removed. Nothing changed
 * means no action, so an idle resync makes no provider write.
 */

import type { DesiredBackend } from '../model/build-desired.ts';
import type { Backend, BackendStatus, ProviderCapabilities } from '../provider.ts';
import { backendAddressKey } from '../provider.ts';

export type BackendAction =
  | { readonly kind: 'register'; readonly backend: Backend; readonly replacesPodUid?: string }
  | { readonly kind: 'reweight'; readonly backend: Backend; readonly fromWeight: number }
  | { readonly kind: 'drain'; readonly backend: Backend }
  | { readonly kind: 'deregister'; readonly key: string; readonly actual: BackendStatus };

const ORDER: Record<BackendAction['kind'], number> = { register: 0, reweight: 1, drain: 2, deregister: 3 };

/** The weight the LB can hold for a desired weight: providers without weights know only 0 and 1. */
export function effectiveWeight(weight: number, capabilities: Pick<ProviderCapabilities, 'weights'>): number {
  if (capabilities.weights) return weight;
  return weight > 0 ? 1 : 0;
}

function actionKey(action: BackendAction): string {
  return action.kind === 'deregister' ? action.key : backendAddressKey(action.backend);
}

export function plan(
  desired: readonly DesiredBackend[],
  actual: readonly BackendStatus[],
  capabilities: Pick<ProviderCapabilities, 'weights'>,
): BackendAction[] {
  const actualByKey = new Map<string, BackendStatus>();
  for (const a of actual) actualByKey.set(backendAddressKey(a), a);
  const actions: BackendAction[] = [];
  const seen = new Set<string>();

  for (const d of desired) {
    seen.add(d.key);
    const a = actualByKey.get(d.key);
    const weight = effectiveWeight(d.weight, capabilities);
    const backend: Backend = { ...stripKey(d), weight };
    if (d.draining) {
      if (a && a.weight !== 0 && a.health !== 'draining') actions.push({ kind: 'drain', backend });
      continue;
    }
    if (!a) {
      actions.push({ kind: 'register', backend });
    } else if (a.podUid !== undefined && a.podUid !== d.podUid) {
      actions.push({ kind: 'register', backend, replacesPodUid: a.podUid });
    } else if (effectiveWeight(a.weight, capabilities) !== weight) {
      actions.push(weight === 0 ? { kind: 'drain', backend } : { kind: 'reweight', backend, fromWeight: a.weight });
    }
  }
  for (const [key, a] of actualByKey) {
    if (!seen.has(key)) actions.push({ kind: 'deregister', key, actual: a });
  }
  // Stable: by kind, then by key, so equal inputs give equal plans.
  return actions.sort((x, y) => ORDER[x.kind] - ORDER[y.kind] || (actionKey(x) < actionKey(y) ? -1 : actionKey(x) > actionKey(y) ? 1 : 0));
}

/** The provider-facing backend of a desired one (the model's bookkeeping fields dropped). */
export function stripKey(d: DesiredBackend): Backend {
  const { key: _key, id: _id, draining: _draining, invalidWeight: _invalid, ...backend } = d;
  return backend;
}

/**
 * Splits an ordered plan into batches of at most `maxBatch` actions, never mixing kinds in
 * one batch, so each batch is one provider call and the register-before-remove order holds
 * across calls.
 */
export function batchActions(actions: readonly BackendAction[], maxBatch: number): BackendAction[][] {
  const size = Number.isFinite(maxBatch) && maxBatch >= 1 ? Math.floor(maxBatch) : Number.POSITIVE_INFINITY;
  const batches: BackendAction[][] = [];
  let current: BackendAction[] = [];
  for (const action of actions) {
    const last = current[current.length - 1];
    if (current.length >= size || (last && last.kind !== action.kind)) {
      batches.push(current);
      current = [];
    }
    current.push(action);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The backend set after applying `actions` to `current`. Apply sends this whole set to
 * updateLoadBalancer, one batch at a time, so each call converges to a known state.
 */
export function applyToSet(current: readonly Backend[], actions: readonly BackendAction[]): Backend[] {
  const byKey = new Map<string, Backend>();
  for (const b of current) byKey.set(backendAddressKey(b), b);
  for (const action of actions) {
    if (action.kind === 'deregister') byKey.delete(action.key);
    else byKey.set(backendAddressKey(action.backend), action.backend);
  }
  return [...byKey.values()];
}
