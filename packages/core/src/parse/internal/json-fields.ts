import type { RawFields } from '../../types.js';

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns a parsed JSON object into {@link RawFields}: strings as-is, numbers
 * and booleans stringified, `null` as the empty string (like an empty CSV
 * cell), nested objects/arrays as their JSON text.
 */
export function toRawFields(value: Record<string, unknown>): RawFields {
  const fields: RawFields = {};
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'string') fields[key] = v;
    else if (v === null || v === undefined) fields[key] = '';
    else if (typeof v === 'object') fields[key] = JSON.stringify(v);
    else fields[key] = String(v);
  }
  return fields;
}

/** Raw fields for a value that is not an object: its JSON text under `_raw`. */
export function rawValueFields(text: string): RawFields {
  return { _raw: text };
}
