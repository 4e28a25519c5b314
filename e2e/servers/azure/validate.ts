/**
 * Reading a client's request body the way the resource provider does: values of the wrong
 * type or outside an enum are `InvalidRequestFormat` ("Cannot parse the request."), a
 * reference that is not a resource id is `LinkedInvalidPropertyId`, a missing location is
 * `LocationRequired`. Enum values are matched without regard to case and answered in their
 * canonical casing, as ARM does.
 */
import { invalidRequestFormat, linkedInvalidPropertyId, locationRequired } from './arm-errors.ts';
import { isObject, type Json, type JsonObject } from './json.ts';
import { parseResourceId } from './resource-ids.ts';

export function enumValue<T extends string>(value: Json | undefined, allowed: readonly T[], path: string, typeName: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  const hit = typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (hit === undefined) {
    throw invalidRequestFormat(path, `Error converting value ${JSON.stringify(value)} to type '${typeName}'; allowed values are ${allowed.join(', ')}.`);
  }
  return hit;
}

export function intValue(value: Json | undefined, path: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidRequestFormat(path, `Could not convert ${JSON.stringify(value)} to an integer.`);
  }
  if (value < min || value > max) {
    throw invalidRequestFormat(path, `Value ${value} is out of range; allowed is ${min} to ${max}.`);
  }
  return value;
}

export function boolValue(value: Json | undefined, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequestFormat(path, `Could not convert ${JSON.stringify(value)} to a boolean.`);
  return value;
}

export function stringValue(value: Json | undefined, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequestFormat(path, `Could not convert ${JSON.stringify(value)} to a string.`);
  return value;
}

export function objectValue(value: Json | undefined, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidRequestFormat(path, `Expected an object, got ${JSON.stringify(value)}.`);
  return value;
}

export function arrayValue(value: Json | undefined, path: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequestFormat(path, `Expected an array, got ${JSON.stringify(value)}.`);
  return value;
}

/** `tags`: an object of string values (ARM allows at most 50). */
export function tagsValue(value: Json | undefined): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidRequestFormat('tags', 'Tags must be an object of string values.');
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalidRequestFormat('tags', `A resource can have at most 50 tags, not ${entries.length}.`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalidRequestFormat(`tags.${k}`, `Tag values must be strings, not ${JSON.stringify(v)}.`);
  }
  return { ...value };
}

/** The `id` of a SubResource at `path`, which must be a fully qualified resource id. */
export function refValue(value: Json | undefined, path: string): string | undefined {
  const obj = objectValue(value, path);
  if (obj === undefined) return undefined;
  const id = obj['id'];
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'string' || parseResourceId(id) === undefined) throw linkedInvalidPropertyId(String(id), `${path}.id`);
  return id;
}

/** ARM stores locations folded: lower case, no spaces ("West Europe" becomes "westeurope"). */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

export function locationValue(value: Json | undefined): string {
  if (typeof value !== 'string' || value.trim() === '') throw locationRequired();
  return normalizeLocation(value);
}

/** `zones`: an array of zone names ("1", "2", "3"). */
export function zonesValue(value: Json | undefined, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const zones = arrayValue(value, path);
  return zones.map((z, i) => {
    if (typeof z !== 'string' || !/^[1-3]$/.test(z)) throw invalidRequestFormat(`${path}[${i}]`, `Zone ${JSON.stringify(z)} is not one of "1", "2", "3".`);
    return z;
  });
}

/** The tags of an UpdateTags (PATCH) body, `{ "tags": {...} }`; other keys are ignored, as ARM does. */
export function tagsPatch(input: JsonObject): JsonObject {
  return tagsValue(input['tags']) ?? {};
}
