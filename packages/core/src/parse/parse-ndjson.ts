import type { z } from 'zod';
import { parseOptions } from '../internal/options.js';
import type { RowBatch } from '../types.js';
import { type ByteSource, guardLines } from './internal/bytes.js';
import { JsonRowBatcher } from './internal/json-row-batcher.js';
import { RAW_PREFIX_BYTES } from './internal/json-text.js';
import { jsonParseOptionsSchema } from './internal/parse-options.js';
import type { ByteParser } from './parse-csv.js';

/** Options of {@link parseNdjson}: see the fields of the schema. */
export const parseNdjsonOptionsSchema = jsonParseOptionsSchema;

/** Options of {@link parseNdjson}. */
export type ParseNdjsonOptions = z.input<typeof parseNdjsonOptionsSchema>;

const NEWLINE = 0x0a;

/**
 * Parses newline-delimited JSON (one object per line) into batches of
 * {@link RawRow}. `line` is the physical line (1-based); blank lines are
 * skipped; the header checked by `onHeader` is the keys of the first object.
 *
 * Lines are split here (exact line numbers, at most `maxRowBytes` held) and
 * each decoded with `JSON.parse` after a depth scan (see json-text.ts):
 * that is all stream-json's JSONL parser does, but it is deprecated and
 * numbers lines without blank lines.
 *
 * Bad input is one row each, dead-lettered by the validator (raw text under
 * `_raw`), and parsing goes on: not JSON → `malformed_json`; not an object →
 * `not_an_object`; invalid UTF-8 → `invalid_utf8`; nested deeper than
 * `maxDepth` → `too_deep`; more than `maxFields` top-level fields →
 * `too_many_fields`; longer than `maxRowBytes` → `row_too_large`
 * (first KiB kept). 0 bytes → `ParseError` `EMPTY_FILE`.
 */
export function parseNdjson(options: ParseNdjsonOptions): ByteParser {
  const parsed = parseOptions(parseNdjsonOptionsSchema, options, 'parseNdjson');
  const { source, maxRowBytes } = parsed;

  return async function* parseNdjsonStage(bytes: ByteSource, context) {
    const signal = context?.signal;
    const rows = new JsonRowBatcher(parsed, 'NDJSON line', parsed.metrics ?? context?.metrics);
    let line = 1;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let oversize = false;
    const emit = (lineBuf: Buffer): RowBatch | undefined => {
      const batch = rows.add(line, lineBuf, oversize);
      oversize = false;
      return batch;
    };
    // Of a line longer than maxRowBytes only its first bytes are kept.
    const hold = (piece: Buffer): void => {
      if (oversize) return;
      if (pendingBytes + piece.length > maxRowBytes) {
        oversize = true;
        pending = [Buffer.concat([...pending, piece]).subarray(0, RAW_PREFIX_BYTES + 1)];
        return;
      }
      pending.push(piece);
      pendingBytes += piece.length;
    };
    const take = (): Buffer => {
      const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      return buf;
    };
    for await (const buf of guardLines(bytes, {
      source,
      maxLineBytes: Number.POSITIVE_INFINITY,
      signal,
    })) {
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, from);
        if (nl === -1) {
          if (from < buf.length) hold(buf.subarray(from));
          break;
        }
        hold(buf.subarray(from, nl));
        const full = emit(take());
        line++;
        from = nl + 1;
        if (full !== undefined) {
          signal?.throwIfAborted();
          yield full;
        }
      }
    }
    if (pending.length > 0) {
      const full = emit(take());
      if (full !== undefined) yield full;
    }
    const rest = rows.take();
    if (rest.length > 0) yield rest;
  };
}
