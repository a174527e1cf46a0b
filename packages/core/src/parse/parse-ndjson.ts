import type { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import type { RawRow, RowBatch, SourceRef } from '../types.js';
import { type ByteSource, guardLines } from './internal/bytes.js';
import { isJsonObject, rawValueFields, toRawFields } from './internal/json-fields.js';
import { baseParseOptionsSchema } from './internal/parse-options.js';
import { RowBatcher } from './internal/row-batcher.js';
import type { ByteParser } from './parse-csv.js';

/** Options of {@link parseNdjson}: see the fields of the schema. */
export const parseNdjsonOptionsSchema = baseParseOptionsSchema;

/** Options of {@link parseNdjson}. */
export type ParseNdjsonOptions = z.input<typeof parseNdjsonOptionsSchema>;

const NEWLINE = 0x0a;

function toRow(source: SourceRef, line: number, text: string): RawRow | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0) return undefined;
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
      problem: { reason: 'not_an_object', message: 'NDJSON line is not a JSON object' },
    };
  }
  const fields = toRawFields(value);
  if (trimmed.includes('\uFFFD')) {
    return {
      source,
      line,
      fields,
      problem: { reason: 'invalid_utf8', message: 'line contains bytes that are not UTF-8' },
    };
  }
  return { source, line, fields };
}

/**
 * Parses newline-delimited JSON (one object per line) into batches of
 * {@link RawRow}. `line` is the physical line (1-based); blank lines are
 * skipped; the header checked by `onHeader` is the keys of the first object.
 *
 * Lines are split here (bounded by `maxRowBytes`, exact line numbers) and
 * each decoded with `JSON.parse`: that is all stream-json's JSONL parser
 * does, but it is deprecated and numbers lines without blank lines.
 *
 * Bad input: a line that is not JSON → row with `problem.reason =
 * 'malformed_json'`; JSON that is not an object → `not_an_object`; invalid
 * UTF-8 → `invalid_utf8` (all dead-lettered by the validator, raw text under
 * `_raw`); a line longer than `maxRowBytes` → `ParseError` `LINE_TOO_LONG`;
 * 0 bytes → `ParseError` `EMPTY_FILE`.
 */
export function parseNdjson(options: ParseNdjsonOptions): ByteParser {
  const { source, batchSize, maxRowBytes, onHeader, metrics } = parseOptions(
    parseNdjsonOptionsSchema,
    options,
    'parseNdjson',
  );

  return async function* parseNdjsonStage(bytes: ByteSource, context) {
    const signal = context?.signal;
    const batcher = new RowBatcher(batchSize, source, metrics ?? context?.metrics);
    let headerChecked = false;
    let line = 1;
    let pending: Buffer[] = [];
    const emit = (text: string): RowBatch | undefined => {
      const row = toRow(source, line, text);
      if (row === undefined) return undefined;
      if (!headerChecked && row.problem === undefined) {
        headerChecked = true;
        onHeader?.(Object.keys(row.fields));
      }
      return batcher.add(row);
    };
    // guardLines enforces maxRowBytes per physical line, so `pending` stays bounded.
    for await (const buf of guardLines(bytes, { source, maxLineBytes: maxRowBytes, signal })) {
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, from);
        if (nl === -1) {
          if (from < buf.length) pending.push(buf.subarray(from));
          break;
        }
        const piece = buf.subarray(from, nl);
        const lineBuf = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        const full = emit(lineBuf.toString('utf8'));
        line++;
        from = nl + 1;
        if (full !== undefined) {
          signal?.throwIfAborted();
          yield full;
        }
      }
    }
    if (pending.length > 0) {
      const full = emit(Buffer.concat(pending).toString('utf8'));
      if (full !== undefined) yield full;
    }
    const rest = batcher.take();
    if (rest.length > 0) yield rest;
  };
}
