import type { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import { type ByteSource, guardLines } from './internal/bytes.js';
import { JsonElementSplitter } from './internal/json-elements.js';
import { JsonRowBatcher } from './internal/json-row-batcher.js';
import { jsonParseOptionsSchema } from './internal/parse-options.js';
import type { ByteParser } from './parse-csv.js';

/** Options of {@link parseJsonArray}: see the fields of the schema. */
export const parseJsonArrayOptionsSchema = jsonParseOptionsSchema;

/** Options of {@link parseJsonArray}. */
export type ParseJsonArrayOptions = z.input<typeof parseJsonArrayOptionsSchema>;

/**
 * Parses a file holding one JSON array of objects into batches of
 * {@link RawRow}, streaming: the array is split into elements by a byte
 * scanner (json-elements.ts) and each element decoded on its own, so memory
 * is bounded by `maxRowBytes` whatever the nesting. `line` is the element
 * index + 1. Numbers of a row's fields keep their exact text; `null`
 * becomes `''`. The header checked by `onHeader` is the keys of the first
 * object element.
 *
 * Bad elements are one row each, dead-lettered by the validator, and
 * parsing goes on: not an object → `not_an_object`; not valid JSON →
 * `malformed_json`; invalid UTF-8 → `invalid_utf8`; nested deeper than
 * `maxDepth` → `too_deep`; more than `maxFields` top-level fields →
 * `too_many_fields`; longer than `maxRowBytes` → `row_too_large`.
 * File level: a top-level value that is not an array → `ParseError`
 * `JSON_NOT_ARRAY`; broken structure between elements (missing comma,
 * trailing comma, unexpected end) → `JSON_MALFORMED` with the element as
 * `line`; 0 bytes → `EMPTY_FILE`; `[]` → no rows, no error.
 */
export function parseJsonArray(options: ParseJsonArrayOptions): ByteParser {
  const parsed = parseOptions(parseJsonArrayOptionsSchema, options, 'parseJsonArray');
  const { source, maxRowBytes } = parsed;

  return async function* parseJsonArrayStage(bytes: ByteSource, context) {
    const signal = context?.signal;
    const rows = new JsonRowBatcher(parsed, 'array element', parsed.metrics ?? context?.metrics);
    const splitter = new JsonElementSplitter(source, maxRowBytes);
    for await (const buf of guardLines(bytes, {
      source,
      maxLineBytes: Number.POSITIVE_INFINITY,
      signal,
    })) {
      for (const element of splitter.push(buf)) {
        const batch = rows.add(element.index, element.bytes, element.oversize);
        if (batch !== undefined) {
          signal?.throwIfAborted();
          yield batch;
        }
      }
    }
    splitter.end();
    const rest = rows.take();
    if (rest.length > 0) yield rest;
  };
}
