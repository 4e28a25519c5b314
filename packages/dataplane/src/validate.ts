/**
 * Field validators for specs that arrive as untyped JSON (the control API) or from
 * TypeScript callers who may still pass anything. Each either returns the value, typed, or
 * throws an InvalidSpecError whose message is one sentence naming the field, the value and
 * what is allowed (STYLE habit 13). Pure.
 */
import { isIP } from 'node:net';
import { InvalidSpecError } from './errors.ts';

export type Fields = Readonly<Record<string, unknown>>;

export function invalid(field: string, value: unknown, allowed: string): InvalidSpecError {
  return new InvalidSpecError(`${field} is ${show(value)}, but it must be ${allowed}.`, { field });
}

/** `value` for a message: JSON where possible, capped so one sentence stays one line. */
export function show(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A plain object whose keys are all in `allowed`. */
export function object(field: string, value: unknown, allowed: readonly string[]): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, value, 'an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidSpecError(`${field} has the unknown field ${JSON.stringify(key)}, but the allowed fields are ${allowed.join(', ')}.`, {
        field: `${field}.${key}`,
      });
    }
  }
  return value as Fields;
}

export function integer(field: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, value, max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A duration in milliseconds (vendor units: the time scale is applied when it runs). */
export function duration(field: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > 2 ** 31 - 1) {
    throw invalid(field, value, `a number of milliseconds from ${min} to ${2 ** 31 - 1}`);
  }
  return value;
}

export function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, value, 'true or false');
  return value;
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** A name of a listener, target group or rule: 1-253 printable characters. */
export function name(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,253}$/.test(value)) {
    throw invalid(field, value, 'a name of 1 to 253 printable ASCII characters without spaces');
  }
  return value;
}

/** An IPv4 or IPv6 address without a zone. */
export function ipAddress(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.includes('%') || isIP(value) === 0) {
    throw invalid(field, value, 'an IPv4 or IPv6 address such as 127.0.0.1 or ::1');
  }
  return value;
}

export function port(field: string, value: unknown, min = 1): number {
  return integer(field, value, min, 65535);
}

/** A list of distinct labels (firewall tags). */
export function tags(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid(field, value, 'a list of tags');
  const out = value.map((tag, index) => {
    if (typeof tag !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(tag)) {
      throw invalid(`${field}[${index}]`, tag, 'a tag of 1 to 128 printable ASCII characters without spaces');
    }
    return tag;
  });
  return [...new Set(out)];
}

/** `fields[key]` through `parse`, or `fallback` when it is absent (undefined or null). */
export function optional<T>(fields: Fields, key: string, field: string, parse: (field: string, value: unknown) => T, fallback: T): T {
  const value = fields[key];
  return value === undefined || value === null ? fallback : parse(`${field}.${key}`, value);
}
