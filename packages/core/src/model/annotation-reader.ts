/**
 * Reads a Service's annotations for a provider and collects problems as one sentence each,
 * in the wording every Sluice provider uses:
 * `Service <ns>/<name> annotation <key>="<value>" is invalid: <allowed>.`
 * Nothing is thrown; the caller returns `problems` from its `validate`.
 */
import type { ServiceProblem } from '../provider.ts';
import type { ServiceSpecView } from './service.ts';

export interface AnnotationReader {
  /** Every problem found so far, in the order found. */
  readonly problems: ServiceProblem[];
  /** The trimmed value, or undefined when the annotation is absent. */
  raw(key: string): string | undefined;
  /** Records that `key`'s value is invalid; `allowed` says what is allowed (no final period). */
  invalid(key: string, allowed: string): void;
  /** A whole number in [min, max]; absent → fallback; out of range → a problem and fallback. */
  integer(key: string, min: number, max: number, fallback: number, unit?: string): number;
  /** Records a problem for every `<prefix>*` key not in `known` (typo protection). */
  rejectUnknown(prefix: string, known: readonly string[], providerName: string): void;
}

export function createAnnotationReader(service: Pick<ServiceSpecView, 'namespace' | 'name' | 'annotations'>): AnnotationReader {
  const annotations = service.annotations ?? {};
  const problems: ServiceProblem[] = [];
  const invalid = (key: string, allowed: string): void => {
    problems.push({
      field: `metadata.annotations[${key}]`,
      message: `Service ${service.namespace}/${service.name} annotation ${key}="${annotations[key]}" is invalid: ${allowed}.`,
    });
  };
  const raw = (key: string): string | undefined => annotations[key]?.trim();
  return {
    problems,
    raw,
    invalid,
    integer(key, min, max, fallback, unit = '') {
      const value = raw(key);
      if (value === undefined) return fallback;
      const n = /^\d+$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
      if (Number.isNaN(n) || n < min || n > max) {
        invalid(key, `allowed is a whole number${unit} from ${min} to ${max}`);
        return fallback;
      }
      return n;
    },
    rejectUnknown(prefix, known, providerName) {
      for (const key of Object.keys(annotations)) {
        if (key.startsWith(prefix) && !known.includes(key)) invalid(key, `allowed are the ${providerName} provider keys ${known.join(', ')}`);
      }
    },
  };
}
