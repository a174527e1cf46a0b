import { Readable, type Transform } from 'node:stream';
import csvParser from 'csv-parser';
import { z } from 'zod';
import { ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { Batch, RawFields, RawRow, StageContext } from '../types.js';
import { type ByteSource, countNewlines, destroyAndWait, guardLines } from './internal/bytes.js';
import { type CsvHeader, csvHeader, csvRawRow, withSource } from './internal/csv-rows.js';
import { type CsvRowBatch, createCsvTokenizer } from './internal/fast-csv.js';
import { baseParseOptionsSchema } from './internal/parse-options.js';
import { RowBatcher } from './internal/row-batcher.js';

/** Options of {@link parseCsv}: see the fields of the schema. */
export const parseCsvOptionsSchema = baseParseOptionsSchema.extend({
  /**
   * `'fast'` (default): the built-in tokenizer (native `indexOf` scans, one
   * decode per chunk); `'csv-parser'`: the csv-parser package. Both emit the
   * same rows, line numbers and row problems.
   */
  engine: z.enum(['fast', 'csv-parser']).default('fast'),
});

/** Options of {@link parseCsv}. */
export type ParseCsvOptions = z.input<typeof parseCsvOptionsSchema>;

/** A parser stage: bytes in, batches of raw rows out. */
export type ByteParser = (
  bytes: ByteSource,
  context?: Partial<StageContext>,
) => AsyncIterable<Batch<RawRow>>;

/** The parts of csv-parser's instance we hook into (pinned by tests). */
interface CsvParserInternals {
  state: { quoted: boolean };
  _flush(callback: (error?: Error | null) => void): void;
}

const REPLACEMENT_CHAR = '\uFFFD';

/**
 * Parses CSV with a header row (RFC 4180: quoted fields, `""` escapes,
 * embedded separators and newlines, UTF-8 BOM, `\n` or `\r\n`) into batches
 * of {@link RawRow}, on csv-parser.
 *
 * Line numbers: the header is line 1; a row's line is the physical line it
 * starts on (embedded newlines are counted). Blank lines are skipped.
 * Header names are trimmed.
 *
 * Bad input:
 * - a row with fewer or more cells than the header → emitted with
 *   `problem.reason = 'ragged_row'` (dead-lettered by the validator);
 * - bytes that are not valid UTF-8 → the row is emitted with
 *   `problem.reason = 'invalid_utf8'` (detected as U+FFFD after decoding);
 * - a quote still open at end of file → everything from the row where it
 *   opened to EOF becomes one row with `problem.reason = 'unterminated_quote'`;
 * - a physical line or a row longer than `maxRowBytes` → `ParseError`
 *   `LINE_TOO_LONG` (memory stays bounded by the limit);
 * - 0 bytes, or no header line → `ParseError` `EMPTY_FILE`;
 * - a header-only file → no rows, no error.
 */
export function parseCsv(options: ParseCsvOptions): ByteParser {
  const parsed = parseOptions('parseCsv', parseCsvOptionsSchema, options);
  if (parsed.engine === 'fast') return fastCsvStage(parsed);
  const { source, batchSize, maxRowBytes, onHeader, metrics } = parsed;

  return async function* parseCsvStage(bytes, context) {
    const signal = context?.signal;
    let headerLines = 1;
    const csv = csvParser({
      maxRowBytes,
      strict: false,
      mapHeaders: ({ header }) => {
        headerLines += countNewlines(header);
        return header.trim();
      },
    });
    let header: string[] | undefined;
    let expectedKeys = 0;
    csv.once('headers', (h: (string | null)[]) => {
      header = h.filter((name): name is string => name !== null);
      expectedKeys = new Set(header).size;
    });
    let unterminated = false;
    const internals = csv as unknown as Transform & CsvParserInternals;
    const flush = internals._flush.bind(csv);
    internals._flush = (callback) => {
      unterminated = internals.state.quoted;
      flush(callback);
    };

    const input = Readable.from(guardLines(bytes, { source, maxLineBytes: maxRowBytes, signal }), {
      objectMode: false,
    });
    input.on('error', (err) => csv.destroy(err));
    input.pipe(csv);

    const batcher = new RowBatcher(batchSize, source, metrics);
    let headerChecked = false;
    let line = 0;
    try {
      for await (const row of csv as AsyncIterable<RawFields>) {
        if (!headerChecked) {
          headerChecked = true;
          onHeader?.(header ?? []);
          line = headerLines + 1;
        }
        let keys = 0;
        let newlines = 0;
        let invalidUtf8 = false;
        for (const key in row) {
          keys++;
          const value = row[key]!;
          if (value.indexOf('\n') !== -1) newlines += countNewlines(value);
          if (value.indexOf(REPLACEMENT_CHAR) !== -1) invalidUtf8 = true;
        }
        if (keys === 0) {
          line++; // blank line: not a row
          continue;
        }
        let raw: RawRow;
        if (keys !== expectedKeys) {
          raw = {
            source,
            line,
            fields: row,
            problem: {
              reason: 'ragged_row',
              message: `row has ${keys} cells, header has ${expectedKeys}`,
            },
          };
        } else if (invalidUtf8) {
          raw = {
            source,
            line,
            fields: row,
            problem: { reason: 'invalid_utf8', message: 'row contains bytes that are not UTF-8' },
          };
        } else {
          raw = { source, line, fields: row };
        }
        line += 1 + newlines;
        const full = batcher.add(raw);
        if (full !== undefined) {
          signal?.throwIfAborted();
          yield full;
        }
      }
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      if (err instanceof Error && err.message === 'Row exceeds the maximum size') {
        throw new ParseError(
          'LINE_TOO_LONG',
          `${source.id}: a row starting at or after line ${Math.max(line, 2)} is longer than maxRowBytes (${maxRowBytes} bytes)`,
          { source, line: Math.max(line, 2), cause: err },
        );
      }
      throw err;
    } finally {
      input.unpipe(csv);
      csv.destroy();
      await destroyAndWait(input);
    }
    if (header === undefined) {
      throw new ParseError('EMPTY_FILE', `${source.id}: file has no header line`, { source });
    }
    if (!headerChecked) onHeader?.(header);
    if (unterminated) {
      const last = batcher.last();
      if (last !== undefined) {
        batcher.replaceLast({
          ...last,
          problem: {
            reason: 'unterminated_quote',
            message: `quoted field opened on or after line ${last.line} is not closed before end of file`,
          },
        });
      }
    }
    const rest = batcher.take();
    if (rest.length > 0) yield rest;
  };
}

/** The `'fast'` engine: the tokenizer, with csv-parser's records and row problems. */
function fastCsvStage(options: z.output<typeof parseCsvOptionsSchema>): ByteParser {
  const { source, batchSize, maxRowBytes, onHeader, metrics } = options;
  return async function* parseCsvFastStage(bytes, context) {
    const signal = context?.signal;
    const tokenizer = createCsvTokenizer({
      maxRowBytes,
      skipEmptyLines: true,
      unterminatedQuote: 'row',
    });
    let header: CsvHeader | undefined;
    let pending: RawRow[] = [];
    const take = (): Batch<RawRow> => {
      const batch = pending.slice(0, batchSize);
      pending = pending.length > batchSize ? pending.slice(batchSize) : [];
      metrics?.addRead(source, batch.length);
      return batch;
    };
    const collect = (rows: CsvRowBatch, final: boolean) => {
      if (header === undefined && tokenizer.header !== undefined) {
        header = csvHeader(tokenizer.header);
        onHeader?.(header.names);
      }
      if (header === undefined) return;
      const last = rows.length - 1;
      for (let r = 0; r < rows.length; r++) {
        pending.push(
          csvRawRow(header, rows, r, source, final && r === last && tokenizer.unterminated),
        );
      }
    };
    try {
      for await (const chunk of guardLines(bytes, { source, maxLineBytes: maxRowBytes, signal })) {
        collect(tokenizer.push(chunk), false);
        while (pending.length >= batchSize) {
          signal?.throwIfAborted();
          yield take();
        }
      }
      collect(tokenizer.end(), true);
    } catch (err) {
      throw withSource(err, source, maxRowBytes);
    }
    if (header === undefined) {
      throw new ParseError('EMPTY_FILE', `${source.id}: file has no header line`, { source });
    }
    while (pending.length > 0) {
      signal?.throwIfAborted();
      yield take();
    }
  };
}
