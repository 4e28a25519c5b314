/**
 * The admission decision, pure: given an AdmissionReview v1 for a Pod CREATE and the
 * Services of the pod's namespace, add the readiness gate when a Service Sluice handles
 * selects the pod. The webhook never denies: anything unexpected answers "allowed" with a
 * warning, so a fault here can cost a gate but never a pod.
 */
import type * as k8s from '@kubernetes/client-node';
import { errorMessage, isHandled, SluiceError, selectorMatches } from '@sluice/core';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** The fields of an AdmissionReview v1 request the webhook reads. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly resource?: { readonly group?: string; readonly version?: string; readonly resource?: string };
  readonly subResource?: string;
  readonly operation?: string;
  readonly namespace?: string;
  readonly object?: unknown;
}

export interface JsonPatchOperation {
  readonly op: 'add' | 'replace' | 'test';
  readonly path: string;
  readonly value: unknown;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: true;
  readonly patchType?: 'JSONPatch';
  /** Base64 of the JSON Patch. */
  readonly patch?: string;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** The Services the decision reads; throws when it cannot answer (caches not synced). */
export interface ServiceLookup {
  servicesIn(namespace: string): readonly k8s.V1Service[];
}

export interface MutateOptions {
  /** The readiness gate condition type to add. */
  readonly gateConditionType: string;
  /** Sluice's loadBalancerClass. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string | undefined;
  /** Services with no class are Sluice's too. @default false */
  readonly handleUnclassed?: boolean;
}

/** What the webhook decided, for logs: the review says it to the API server. */
export type MutateDecision =
  /** The gate was added; `services` selected the pod. */
  | { readonly kind: 'injected'; readonly services: readonly string[] }
  /** The pod already lists the gate. */
  | { readonly kind: 'present' }
  /** No Service Sluice handles selects the pod. */
  | { readonly kind: 'not-selected' }
  /** Not a Pod CREATE. */
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Something went wrong; the pod is admitted unchanged, with a warning. */
  | { readonly kind: 'error'; readonly reason: string };

export interface MutateResult {
  readonly review: AdmissionReviewResponse;
  readonly decision: MutateDecision;
  /** Namespace and name (or generateName) of the pod, when known. */
  readonly pod: string | undefined;
}

/** The body is not an AdmissionReview v1 request: the server answers 400. */
export class AdmissionReviewError extends SluiceError {
  override name = 'AdmissionReviewError';
}

/** The API server shows warnings to the client; it may cut longer ones. */
const MAX_WARNING_LENGTH = 120;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the request of an AdmissionReview v1; throws {@link AdmissionReviewError} when there is none. */
export function admissionRequest(review: unknown): AdmissionRequest {
  if (!isRecord(review)) throw new AdmissionReviewError('the body is not a JSON object: allowed is an AdmissionReview.');
  if (review['kind'] !== 'AdmissionReview' || review['apiVersion'] !== ADMISSION_API_VERSION) {
    throw new AdmissionReviewError(
      `the body has apiVersion "${String(review['apiVersion'])}" and kind "${String(review['kind'])}": allowed is ${ADMISSION_API_VERSION} AdmissionReview.`,
    );
  }
  const request = review['request'];
  if (!isRecord(request) || typeof request['uid'] !== 'string' || request['uid'] === '') {
    throw new AdmissionReviewError('the AdmissionReview has no request.uid: allowed is a review with a request.');
  }
  return request as unknown as AdmissionRequest;
}

function respond(uid: string, extra: Omit<AdmissionResponse, 'uid' | 'allowed'> = {}): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } };
}

function warning(reason: string): string {
  const text = `sluice: readiness gate not injected: ${reason}`;
  return text.length <= MAX_WARNING_LENGTH ? text : `${text.slice(0, MAX_WARNING_LENGTH - 3)}...`;
}

/** The JSON Patch that appends the gate, creating the list when the pod has none. */
export function gatePatch(pod: k8s.V1Pod, gateConditionType: string): JsonPatchOperation[] {
  const gate = { conditionType: gateConditionType };
  return Array.isArray(pod.spec?.readinessGates)
    ? [{ op: 'add', path: '/spec/readinessGates/-', value: gate }]
    : [{ op: 'add', path: '/spec/readinessGates', value: [gate] }];
}

/**
 * Decides one admission review. Throws only {@link AdmissionReviewError}, for a body that
 * carries no request to answer; every other problem is an allowed response with a warning.
 */
export function mutate(review: unknown, lookup: ServiceLookup, options: MutateOptions): MutateResult {
  const request = admissionRequest(review);
  const { uid } = request;
  const isPod = request.kind?.group === '' && request.kind.version === 'v1' && request.kind.kind === 'Pod' && !request.subResource;
  if (!isPod || request.operation !== 'CREATE') {
    const what = `${request.operation ?? '?'} of ${request.kind?.kind ?? '?'}${request.subResource ? `/${request.subResource}` : ''}`;
    return { review: respond(uid), decision: { kind: 'ignored', reason: `${what} is not a pod CREATE` }, pod: undefined };
  }
  const fail = (reason: string, pod?: string): MutateResult => ({
    review: respond(uid, { warnings: [warning(reason)] }),
    decision: { kind: 'error', reason },
    pod,
  });
  const object = request.object;
  if (!isRecord(object) || (object['spec'] !== undefined && !isRecord(object['spec']))) return fail('the request carries no pod object');
  const pod = object as k8s.V1Pod;
  const meta: k8s.V1ObjectMeta = isRecord(pod.metadata) ? pod.metadata : {};
  const namespace = request.namespace || meta.namespace;
  const podName = `${namespace ?? '?'}/${meta.name || `${meta.generateName ?? ''}*`}`;
  if (!namespace) return fail('the request names no namespace', podName);
  const labels: Readonly<Record<string, string>> = typeof meta.labels === 'object' && meta.labels !== null ? meta.labels : {};
  const gates = pod.spec?.readinessGates;
  if (gates !== undefined && !Array.isArray(gates)) return fail('spec.readinessGates is not a list', podName);
  if (gates?.some((g) => g?.conditionType === options.gateConditionType)) {
    return { review: respond(uid), decision: { kind: 'present' }, pod: podName };
  }
  let services: readonly k8s.V1Service[];
  try {
    services = lookup.servicesIn(namespace);
  } catch (error) {
    return fail(errorMessage(error), podName);
  }
  const selecting = services
    .filter((s) => !s.metadata?.deletionTimestamp && isHandled(s, options.loadBalancerClass, options.handleUnclassed ?? false) && selectorMatches(s.spec?.selector, labels))
    .map((s) => s.metadata?.name ?? '?');
  if (selecting.length === 0) return { review: respond(uid), decision: { kind: 'not-selected' }, pod: podName };
  const patch = Buffer.from(JSON.stringify(gatePatch(pod, options.gateConditionType))).toString('base64');
  return {
    review: respond(uid, { patchType: 'JSONPatch', patch }),
    decision: { kind: 'injected', services: selecting.sort() },
    pod: podName,
  };
}
