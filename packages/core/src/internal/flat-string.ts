/**
 * Flat copies of strings cut from big decoded chunks. A cell sliced from a
 * chunk keeps the whole chunk alive (V8 sliced strings): a dead-letter entry
 * or a table entry that outlives its chunk must not pin 64 KiB of text.
 */
import type { RawFields } from '../types.js';

/** A copy of `s` that does not point into another string. */
export function flatString(s: string): string {
  // Short slices are copied by V8 anyway; concatenating makes a small new
  // string, and the slice of it no longer points into the chunk.
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/** `fields` with every value a {@link flatString} (a new object). */
export function flatFields(fields: RawFields): RawFields {
  const out: RawFields = {};
  for (const key in fields) out[key] = flatString(fields[key]!);
  return out;
}
