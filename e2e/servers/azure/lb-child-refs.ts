/**
 * How a load balancer's children name each other: a child references a sibling by full id
 * (`…/loadBalancers/{lb}/backendAddressPools/{pool}`), and a reference must name a child of
 * the same load balancer that exists in the same write, or ARM answers
 * `InvalidResourceReference`. References are stored in canonical form (this load balancer's
 * id casing, the child's own name casing) so back-references can be computed by comparing ids.
 */
import { badRequest, invalidRequestFormat, invalidResourceReference } from './arm-errors.ts';
import type { Json, JsonObject } from './json.ts';
import { checkNetworkName, idKey, isNetworkType, parseResourceId, topLevelId } from './resource-ids.ts';
import { refValue, stringValue } from './validate.ts';

/** The child collections of a load balancer, in the order ARM answers them. */
export const LB_CHILDREN = ['frontendIPConfigurations', 'backendAddressPools', 'loadBalancingRules', 'probes', 'inboundNatRules', 'inboundNatPools', 'outboundRules'] as const;
export type LbChild = (typeof LB_CHILDREN)[number];

/** Resolves references to this load balancer's children. */
export class ChildRefs {
  readonly #lbId: string;
  readonly #names = new Map<LbChild, Map<string, string>>();

  constructor(lbId: string) {
    this.#lbId = lbId;
  }

  add(kind: LbChild, name: string, path: string): void {
    const names = this.#names.get(kind) ?? new Map<string, string>();
    if (names.has(name.toLowerCase())) throw badRequest('DuplicateResourceName', `Load balancer ${this.#lbId} has two ${kind} named '${name}' (at '${path}').`);
    names.set(name.toLowerCase(), name);
    this.#names.set(kind, names);
  }

  childId(kind: LbChild, name: string): string {
    return `${this.#lbId}/${kind}/${name}`;
  }

  /** The canonical id of the referenced child; InvalidResourceReference when it is not one of ours. */
  resolve(kind: LbChild, refId: string, referrerId: string): string {
    const ref = parseResourceId(refId);
    const ours = ref !== undefined && isNetworkType(ref, 'loadBalancers', kind) && idKey(topLevelId(ref)) === idKey(this.#lbId);
    const name = ours ? this.#names.get(kind)?.get(ref.names[1]!.toLowerCase()) : undefined;
    if (name === undefined) throw invalidResourceReference(refId, referrerId);
    return this.childId(kind, name);
  }
}

/** The required, valid `name` of a child at `path`. */
export function childName(child: JsonObject, path: string): string {
  const name = stringValue(child['name'], `${path}.name`);
  if (name === undefined || name === '') throw invalidRequestFormat(`${path}.name`, 'A child resource of a load balancer needs a name.');
  checkNetworkName(name);
  return name;
}

/** The canonical reference at `path`, if one is given. */
export function childRef(refs: ChildRefs, kind: LbChild, value: Json | undefined, path: string, referrerId: string): JsonObject | undefined {
  const id = refValue(value, path);
  return id === undefined ? undefined : { id: refs.resolve(kind, id, referrerId) };
}

/** The canonical reference at `path`, which must be given. */
export function requiredChildRef(refs: ChildRefs, kind: LbChild, value: Json | undefined, path: string, referrerId: string): JsonObject {
  const out = childRef(refs, kind, value, path, referrerId);
  if (out === undefined) throw invalidRequestFormat(path, `${referrerId} must reference one of this load balancer's ${kind}.`);
  return out;
}
