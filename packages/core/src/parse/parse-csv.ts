import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import csvParser from 'csv-parser';
import { z } from 'zod';
import { ParseError, PipelineError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { RawFields, RowBatch, StageContext } from '../types.js';
import { type ByteSource, countNewlines, destroyAndWait, guardLines } from './internal/bytes.js';
import {
  type CsvHeader,
  csvHeader,
  csvRowBatches,
  rowProblem,
  tooManyColumns,
  unterminatedProblem,
  withSource,
} from './internal/csv-rows.js';
import { type CsvRowBatch, createCsvTokenizer } from './internal/fast-csv.js';
import { baseParseOptionsSchema } from './internal/parse-options.js';
import { RowBatcher } from './internal/row-batcher.js';

const REPLACEMENT_CHAR = '\uFFFD';
const QUOTE = 0x22;

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
) => AsyncIterable<RowBatch>;

/**
 * Parses CSV with a header row (RFC 4180: quoted fields, `""` escapes,
 * embedded separators and newlines, UTF-8 BOM, `\n` or `\r\n`) into batches
 * of {@link RowBatch} (column-shaped: the tokenizer's cells as they are).
 *
 * Line numbers: the header is line 1; a row's line is the physical line it
 * starts on (embedded newlines are counted). Blank lines are skipped.
 * Header names are trimmed.
 *
 * Bad input:
 * - a row with fewer or more cells than the header → emitted with
 *   `problem.reason = 'ragged_row'` (dead-lettered by the validator);
 * - bytes that are not valid UTF-8 → the row is emitted with
 *   `problem.reason = 'invalid_utf8'` (judged on the bytes: a valid U+FFFD
 *   character, bytes EF BF BD, is data);
 * - a quote still open at end of file → everything from the row where it
 *   opened to EOF becomes one row with `problem.reason = 'unterminated_quote'`;
 * - a row with more than `maxFields` cells → emitted with its first
 *   `maxFields` cells and `problem.reason = 'too_many_fields'` (a header
 *   with more → `ParseError` `TOO_MANY_COLUMNS`);
 * - a physical line or a row longer than `maxRowBytes` → `ParseError`
 *   `LINE_TOO_LONG` (memory stays bounded by the limit);
 * - 0 bytes, or no header line → `ParseError` `EMPTY_FILE`;
 * - a header-only file → no rows, no error.
 */
export function parseCsv(options: ParseCsvOptions): ByteParser {
  const parsed = parseOptions(parseCsvOptionsSchema, options, 'parseCsv');
  if (parsed.engine === 'fast') return fastCsvStage(parsed);
  const { source, batchSize, maxRowBytes, maxFields, onHeader, metrics } = parsed;

  return async function* parse(bytes, context) {
    const signal = context?.signal;
    const counters = metrics ?? context?.metrics;
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
    let headerError: ParseError | undefined;
    csv.once('headers', (h: (string | null)[]) => {
      if (h.length > maxFields) headerError = tooManyColumns(source, maxFields);
      header = h.filter((name): name is string => name !== null);
      expectedKeys = new Set(header).size;
    });
    const cut = capCells(csv, maxFields);
    const notUtf8 = invalidUtf8Rows(csv);
    // csv-parser toggles its quoted state on every quote that is not part of
    // a `""` pair, so it ends inside quotes exactly when the file holds an
    // odd number of quote bytes.
    let quotes = 0;
    const guarded = countQuotes(
      guardLines(bytes, { source, maxLineBytes: maxRowBytes, signal }),
      (n) => {
        quotes += n;
      },
    );
    const input = Readable.from(guarded, { objectMode: false });
    input.on('error', (err) => csv.destroy(err));
    input.pipe(csv);

    const batcher = new RowBatcher(batchSize, source, counters);
    let headerChecked = false;
    let line = 0;
    try {
      for await (const row of csv as AsyncIterable<RawFields>) {
        if (headerError !== undefined) throw headerError;
        const tooMany = cut.take() ? maxFields : undefined;
        const rowNotUtf8 = notUtf8.take();
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
          // A record value with U+FFFD from a line of invalid bytes (as the fast engine).
          if (rowNotUtf8 && value.indexOf(REPLACEMENT_CHAR) !== -1) invalidUtf8 = true;
        }
        if (keys === 0) {
          line++; // blank line: not a row
          continue;
        }
        const problem = rowProblem(keys, expectedKeys, invalidUtf8, undefined, tooMany);
        const full = batcher.add({ line, fields: row, problem });
        line += 1 + newlines;
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
    if (headerError !== undefined) throw headerError;
    if (header === undefined) {
      throw new ParseError('EMPTY_FILE', `${source.id}: file has no header line`, { source });
    }
    if (!headerChecked) onHeader?.(header);
    const last = batcher.lastLine();
    if (quotes % 2 === 1 && last !== undefined) batcher.markLast(unterminatedProblem(last));
    const rest = batcher.take();
    if (rest.length > 0) yield rest;
  };
}

/**
 * csv-parser makes one property per cell (`_<index>` past the header): a
 * row with more than `maxFields` cells is cut to `maxFields` cells and an
 * empty one before that object exists. Rows come out in the order they are
 * written, so `take()`, called once per row read, says whether that row was cut.
 */
function capCells(csv: object, maxFields: number): { take(): boolean } {
  const parser = csv as { writeRow(cells: unknown[], byteOffset: number): void };
  const writeRow = parser.writeRow.bind(parser);
  const cut = new Set<number>();
  let written = 0;
  let read = 0;
  parser.writeRow = (cells, byteOffset) => {
    written++;
    if (cells.length > maxFields) {
      cut.add(written);
      cells.length = maxFields;
      cells.push('');
    }
    writeRow(cells, byteOffset);
  };
  return { take: () => cut.delete(++read) };
}

/**
 * csv-parser decodes each line's cells from its bytes (`parseLine(buffer,
 * start, end)`): the line's bytes are checked there (one native scan), so a
 * valid U+FFFD character is not taken for an invalid byte. `take()`, called
 * once per row read, says whether that row's line had bytes that are not UTF-8.
 */
function invalidUtf8Rows(csv: object): { take(): boolean } {
  const parser = csv as {
    parseLine(buffer: Buffer, start: number, end: number): void;
    writeRow(cells: unknown[], byteOffset: number): void;
  };
  const parseLine = parser.parseLine.bind(parser);
  const writeRow = parser.writeRow.bind(parser);
  const invalid = new Set<number>();
  let lineUtf8 = true;
  let written = 0;
  let read = 0;
  parser.parseLine = (buffer, start, end) => {
    lineUtf8 = isUtf8(buffer.subarray(start, end));
    parseLine(buffer, start, end);
  };
  parser.writeRow = (cells, byteOffset) => {
    written++;
    if (!lineUtf8) invalid.add(written);
    writeRow(cells, byteOffset);
  };
  return { take: () => invalid.delete(++read) };
}

async function* countQuotes(
  bytes: AsyncIterable<Buffer>,
  add: (count: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    let count = 0;
    for (let at = chunk.indexOf(QUOTE); at !== -1; at = chunk.indexOf(QUOTE, at + 1)) count++;
    add(count);
    yield chunk;
  }
}

/** The `'fast'` engine: the tokenizer, with csv-parser's records and row problems. */
function fastCsvStage(options: z.output<typeof parseCsvOptionsSchema>): ByteParser {
  const { source, batchSize, maxRowBytes, maxFields, onHeader, metrics } = options;
  return async function* parse(bytes, context) {
    const signal = context?.signal;
    const counters = metrics ?? context?.metrics;
    // Tokenizer batches of `batchSize` rows at most: they are the row batches, no copy.
    const tokenizer = createCsvTokenizer({
      maxRowBytes,
      maxFields,
      skipEmptyLines: true,
      unterminatedQuote: 'row',
      maxRows: batchSize,
    });
    let header: CsvHeader | undefined;
    const batches = (rows: CsvRowBatch, final: boolean): RowBatch[] => {
      if (header === undefined && tokenizer.header !== undefined) {
        header = csvHeader(tokenizer.header, maxFields, source);
        onHeader?.(header.names);
      }
      const out: RowBatch[] = [];
      if (header === undefined) return out;
      for (let part: CsvRowBatch | undefined = rows; part !== undefined; part = part.next) {
        if (part.length === 0) continue;
        // The open quoted tail, if any, is the last row of the last part.
        const tail = final && part.next === undefined && tokenizer.unterminated;
        out.push(...csvRowBatches(header, part, source, tail, batchSize));
        counters?.addRead(source, part.length);
      }
      return out;
    };
    try {
      for await (const chunk of guardLines(bytes, { source, maxLineBytes: maxRowBytes, signal })) {
        for (const batch of batches(tokenizer.push(chunk), false)) {
          signal?.throwIfAborted();
          yield batch;
        }
      }
      for (const batch of batches(tokenizer.end(), true)) {
        signal?.throwIfAborted();
        yield batch;
      }
    } catch (err) {
      throw withSource(err, source, maxRowBytes);
    }
    if (header === undefined) {
      throw new ParseError('EMPTY_FILE', `${source.id}: file has no header line`, { source });
    }
  };
}
