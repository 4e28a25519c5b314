/**
 * The shape check of the spec replay: every key present in a published example's response
 * body must be present in the server's answer, recursively. Values are not compared (ids,
 * etags and addresses differ by nature); arrays are walked element by element, matching
 * elements by `name` when the example's element has one, else by position.
 */
import { isObject, type Json } from './json.ts';

export interface ShapeComparison {
  /** Paths of the keys found in both, e.g. `properties.backendAddressPools[name=be-lb].properties.loadBalancingRules[0].id`. */
  readonly compared: string[];
  /** Paths present in the example and absent from the answer. */
  readonly missing: string[];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walk(expected: Json, actual: Json | undefined, path: string, out: ShapeComparison): void {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.missing.push(`${path} (an array)`);
      return;
    }
    expected.forEach((e, i) => {
      const name = isObject(e) && typeof e['name'] === 'string' ? e['name'] : undefined;
      const label = name === undefined ? `${path}[${i}]` : `${path}[name=${name}]`;
      const match =
        name === undefined ? actual[i] : actual.find((a) => isObject(a) && typeof a['name'] === 'string' && a['name'].toLowerCase() === name.toLowerCase());
      if (match === undefined) out.missing.push(label);
      else walk(e, match, label, out);
    });
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.missing.push(`${path} (an object)`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      const p = join(path, key);
      if (!(key in actual)) {
        out.missing.push(p);
        continue;
      }
      out.compared.push(p);
      walk(value, actual[key], p, out);
    }
  }
}

/** Compares the key structure of `expected` (an example body) against `actual` (the server's body). */
export function compareShape(expected: Json, actual: Json | undefined): ShapeComparison {
  const out: ShapeComparison = { compared: [], missing: [] };
  walk(expected, actual, '', out);
  return out;
}

/** Header names of the example present (case-insensitively) in the answer, and those missing. */
export function compareHeaders(expected: Readonly<Record<string, unknown>>, actual: Readonly<Record<string, string>>): ShapeComparison {
  const have = new Set(Object.keys(actual).map((k) => k.toLowerCase()));
  const out: ShapeComparison = { compared: [], missing: [] };
  for (const name of Object.keys(expected)) (have.has(name.toLowerCase()) ? out.compared : out.missing).push(`header:${name}`);
  return out;
}
