import type { RawFields } from '../../types.js';

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Raw fields for a value that is not an object: its JSON text under `_raw`. */
export function rawValueFields(text: string): RawFields {
  return { _raw: text };
}
