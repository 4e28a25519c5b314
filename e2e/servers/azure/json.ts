/**
 * The JSON value types the test server stores and answers with, and the few helpers every
 * resource model uses to read a client's body without trusting its shape.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy, so callers never share mutable state with the store. */
export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** The object at `key`, or undefined when absent or not an object. */
export function objectAt(source: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = source?.[key];
  return isObject(value) ? value : undefined;
}

/** The string at `key`, or undefined when absent or not a string. */
export function stringAt(source: JsonObject | undefined, key: string): string | undefined {
  const value = source?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** The `id` of a SubResource reference (`{ "id": "..." }`) at `key`, if any. */
export function refAt(source: JsonObject | undefined, key: string): string | undefined {
  return stringAt(objectAt(source, key), 'id');
}

/** The array at `key`, or an empty array when absent; undefined when present but not an array. */
export function arrayAt(source: JsonObject | undefined, key: string): Json[] | undefined {
  const value = source?.[key];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : undefined;
}

/** A copy of `source` with the listed keys removed (used to drop read-only properties). */
export function without(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(source)) {
    if (!keys.includes(k) && v !== undefined) out[k] = clone(v);
  }
  return out;
}

/** A copy of `source` keeping only the listed keys that are present. */
export function pick(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) {
    const v = source[k];
    if (v !== undefined) out[k] = clone(v);
  }
  return out;
}
