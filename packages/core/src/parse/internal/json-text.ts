/**
 * One JSON text (an NDJSON line or a JSON array element) to a {@link RawRow}.
 * Shared by both JSON parsers so they apply the same limits and rules:
 *
 * - depth first, by a byte scan with O(1) state: a text nested deeper than
 *   `maxDepth` is a `too_deep` row and never reaches `JSON.parse` /
 *   `JSON.stringify` (whose recursion overflows the stack at ~10k levels);
 *   an object with more than `maxFields` fields is a `too_many_fields` row
 *   (`JSON.parse` would make one property per field);
 * - numbers of the object's own fields keep their text as written (`1e3`
 *   stays `1e3`, `9007199254740990.9` is not rounded), so ids follow the
 *   digits-only rule of CSV;
 * - invalid UTF-8 is judged on the bytes (`buffer.isUtf8`), so a U+FFFD
 *   that was in the input is an ordinary character.
 */
import { isUtf8 } from 'node:buffer';
import type { RawFields, RawRow, SourceRef } from '../../types.js';
import { isJsonObject, rawValueFields } from './json-fields.js';

/** How much of an oversized or too-deep text the dead letter keeps. */
export const RAW_PREFIX_BYTES = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isNumberStart(c: number): boolean {
  return c === 0x2d || (c >= 0x30 && c <= 0x39);
}

function isNumberByte(c: number): boolean {
  return isNumberStart(c) || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;
}

interface Scan {
  readonly tooDeep: boolean;
  /** More than `maxFields` top-level fields (commas at depth 1). */
  readonly tooMany?: boolean;
  /** Text of the numbers that are direct fields of a top-level object, by key (last wins). */
  readonly numbers: Map<string, string> | undefined;
}

/** Scans `buf` for its nesting depth, field count and the text of its top-level numbers. */
function scan(buf: Buffer, maxDepth: number, maxFields: number): Scan {
  let depth = 0;
  let commas = 0;
  let inString = false;
  let keyStart = -1;
  let keyEnd = -1;
  let numbers: Map<string, string> | undefined;
  const len = buf.length;
  for (let i = 0; i < len; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        inString = false;
        if (depth === 1) keyEnd = i + 1;
      }
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      if (depth === 1) keyStart = i;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return { tooDeep: true, numbers: undefined };
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      if (++commas >= maxFields) return { tooDeep: false, tooMany: true, numbers: undefined };
    } else if (depth === 1 && keyStart >= 0 && isNumberStart(c)) {
      let end = i + 1;
      while (end < len && isNumberByte(buf[end]!)) end++;
      try {
        const key = JSON.parse(buf.toString('utf8', keyStart, keyEnd)) as string;
        numbers ??= new Map();
        numbers.set(key, buf.toString('latin1', i, end));
      } catch {
        // Not a key (malformed text): JSON.parse of the whole text reports it.
      }
      i = end - 1;
    }
  }
  return { tooDeep: false, numbers };
}

/** The first {@link RAW_PREFIX_BYTES} of a text, for the dead letter of an oversized row. */
export function rawPrefix(buf: Buffer): RawFields {
  const text = buf.toString('utf8', 0, Math.min(buf.length, RAW_PREFIX_BYTES));
  return rawValueFields(buf.length > RAW_PREFIX_BYTES ? `${text}…` : text);
}

/** A row for a text longer than `maxRowBytes` (`prefix`: its first bytes). */
export function tooLargeRow(
  source: SourceRef,
  line: number,
  prefix: Buffer,
  maxRowBytes: number,
): RawRow {
  return {
    source,
    line,
    fields: rawPrefix(prefix),
    problem: {
      reason: 'row_too_large',
      message: `row is longer than maxRowBytes (${maxRowBytes} bytes)`,
    },
  };
}

/**
 * The row of one JSON text; `undefined` for a blank one. `what` names the
 * unit in messages ("NDJSON line", "array element").
 */
export function jsonTextRow(
  source: SourceRef,
  line: number,
  buf: Buffer,
  maxDepth: number,
  maxFields: number,
  what: string,
): RawRow | undefined {
  const text = buf.toString('utf8');
  const trimmed = text.trim();
  if (trimmed.length === 0) return undefined;
  const { tooDeep, tooMany, numbers } = scan(buf, maxDepth, maxFields);
  if (tooDeep) {
    return {
      source,
      line,
      fields: rawPrefix(buf),
      problem: { reason: 'too_deep', message: `${what} is nested deeper than ${maxDepth} levels` },
    };
  }
  if (tooMany) {
    return {
      source,
      line,
      fields: rawPrefix(buf),
      problem: { reason: 'too_many_fields', message: `${what} has more than ${maxFields} fields` },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return {
      source,
      line,
      fields: rawValueFields(trimmed),
      problem: { reason: 'malformed_json', message: (err as Error).message },
    };
  }
  if (!isJsonObject(value)) {
    return {
      source,
      line,
      fields: rawValueFields(trimmed),
      problem: { reason: 'not_an_object', message: `${what} is not a JSON object` },
    };
  }
  const fields = toRawFields(value, numbers);
  if (!isUtf8(buf)) {
    return {
      source,
      line,
      fields,
      problem: { reason: 'invalid_utf8', message: `${what} contains bytes that are not UTF-8` },
    };
  }
  return { source, line, fields };
}

/**
 * A parsed JSON object as {@link RawFields}: strings as-is, numbers as
 * written (`numbers`), booleans stringified, `null` as the empty string,
 * nested objects/arrays as their JSON text.
 */
function toRawFields(
  value: Record<string, unknown>,
  numbers: Map<string, string> | undefined,
): RawFields {
  const fields: RawFields = {};
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'string') fields[key] = v;
    else if (v === null || v === undefined) fields[key] = '';
    else if (typeof v === 'number') fields[key] = numbers?.get(key) ?? String(v);
    else if (typeof v === 'object') fields[key] = JSON.stringify(v);
    else fields[key] = String(v);
  }
  return fields;
}
