/**
 * The `sluice.dev/*` annotations the core understands, parsed and validated in one place.
 * A bad value yields one sentence naming the object, the annotation, the value and what is
 * allowed; the controller then applies nothing for that Service (see the reconciler).
 */
import type { ObjectMetaLike } from './kube-types.ts';

/** Annotation prefix owned by Sluice. Provider packages use their own sub-prefixes. */
export const ANNOTATION_PREFIX = 'sluice.dev/';

/** On a pod: its relative weight on the load balancer (0-1000; 0 keeps it registered but idle). */
export const WEIGHT_ANNOTATION = 'sluice.dev/weight';

/** On a Service: seconds a pod may wait for LB health before Sluice warns that its gate is stuck. */
export const GATE_TIMEOUT_ANNOTATION = 'sluice.dev/readiness-gate-timeout';

export const DEFAULT_WEIGHT = 1;
export const MAX_WEIGHT = 1000;
export const DEFAULT_GATE_TIMEOUT_SECONDS = 300;

/**
 * On a Service, written by Sluice: a digest of the Service spec its load balancer was last
 * ensured with, so a restart or a new leader knows without asking the cloud whether the LB
 * needs converging. Users never set it.
 */
export const APPLIED_SPEC_ANNOTATION = 'sluice.dev/applied-spec';

/** The provider sub-prefixes: `sluice.dev/<provider>-*` keys belong to that provider. */
export const PROVIDER_ANNOTATION_PREFIXES = ['aws', 'azure', 'gcp', 'local'] as const;

/** Service annotations Sluice's core reads; other `sluice.dev/` keys belong to providers. */
const CORE_SERVICE_ANNOTATIONS = new Set([GATE_TIMEOUT_ANNOTATION]);

export interface ServiceSettings {
  readonly gateTimeoutSeconds: number;
}

/** A problem with an annotation value: one sentence a person can act on. */
export interface AnnotationProblem {
  readonly field: string;
  readonly message: string;
}

function parseInteger(raw: string): number | undefined {
  if (!/^\d+$/.test(raw.trim())) return undefined;
  return Number.parseInt(raw.trim(), 10);
}

function rangeProblem(objectDescription: string, key: string, raw: string, min: number, max: number): AnnotationProblem {
  return {
    field: `metadata.annotations[${key}]`,
    message: `${objectDescription} annotation ${key}="${raw}" is invalid: allowed is a whole number from ${min} to ${max}.`,
  };
}

/** Reads the Service's core annotations; problems are returned, never thrown. */
export function parseServiceSettings(meta: ObjectMetaLike | undefined): { settings: ServiceSettings; problems: AnnotationProblem[] } {
  const annotations = meta?.annotations ?? {};
  const problems: AnnotationProblem[] = [];
  let gateTimeoutSeconds = DEFAULT_GATE_TIMEOUT_SECONDS;
  const raw = annotations[GATE_TIMEOUT_ANNOTATION];
  if (raw !== undefined) {
    const value = parseInteger(raw);
    if (value === undefined || value < 1 || value > 86_400) {
      problems.push(rangeProblem(`Service ${meta?.namespace}/${meta?.name}`, GATE_TIMEOUT_ANNOTATION, raw, 1, 86_400));
    } else {
      gateTimeoutSeconds = value;
    }
  }
  for (const key of Object.keys(annotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const rest = key.slice(ANNOTATION_PREFIX.length);
    // Provider annotations live under sluice.dev/<provider>-...; only bare core keys are checked here.
    if (rest.includes('-') && /^(aws|azure|gcp|local)-/.test(rest)) continue;
    if (key === APPLIED_SPEC_ANNOTATION) continue;
    if (!CORE_SERVICE_ANNOTATIONS.has(key)) {
      problems.push({
        field: `metadata.annotations[${key}]`,
        message: `Service ${meta?.namespace}/${meta?.name} annotation ${key} is not a Sluice annotation: allowed are ${[...CORE_SERVICE_ANNOTATIONS].join(', ')} and provider keys sluice.dev/<aws|azure|gcp|local>-*.`,
      });
    }
  }
  return { settings: { gateTimeoutSeconds }, problems };
}

/** A pod's weight from its annotation, or a problem when the value is out of range. */
export function parsePodWeight(meta: ObjectMetaLike | undefined): { weight: number; problem?: AnnotationProblem } {
  const raw = meta?.annotations?.[WEIGHT_ANNOTATION];
  if (raw === undefined) return { weight: DEFAULT_WEIGHT };
  const value = parseInteger(raw);
  if (value === undefined || value > MAX_WEIGHT) {
    return { weight: DEFAULT_WEIGHT, problem: rangeProblem(`Pod ${meta?.namespace}/${meta?.name}`, WEIGHT_ANNOTATION, raw, 0, MAX_WEIGHT) };
  }
  return { weight: value };
}
