/** JSON helpers for request bodies, which arrive as untrusted `unknown`. */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json | undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function stringAt(source: JsonObject, key: string): string | undefined {
  const v = source[key];
  return typeof v === 'string' ? v : undefined;
}

export function arrayAt(source: JsonObject, key: string): Json[] {
  const v = source[key];
  return Array.isArray(v) ? v : [];
}
