/**
 * Tokenizer rows → {@link RowBatch}es with the row problems csv-parser's
 * records give (`ragged_row` when the key count differs from the header's,
 * `invalid_utf8` for bytes that are not UTF-8, `unterminated_quote` for an open quoted tail,
 * `too_many_fields` for a row with more cells than `maxFields`):
 * one rule for both `parseCsv` engines.
 */
import { ParseError } from '../../errors.js';
import { RowBatchBuilder, withProblem } from '../../internal/row-batch.js';
import type { RowBatch, RowProblem, SourceRef } from '../../types.js';
import { type CsvRowBatch, cellCount } from './fast-csv.js';
import { csvRecordBuilder, csvRecordKeys } from './fast-csv-record.js';

const REPLACEMENT_CHAR = '\uFFFD';

/** What the row code needs to know about a header. */
export interface CsvHeader {
  /** Trimmed names, without the columns csv-parser drops (what `onHeader` sees). */
  readonly names: string[];
  /** Record key per column (`null`: dropped), as csv-parser computes them. */
  readonly keys: (string | null)[];
  /** Distinct record keys: a row with another key count is ragged. */
  readonly expectedKeys: number;
  /**
   * True when every column has its own key (no duplicates, none dropped):
   * then a row is ragged exactly when its cell count differs, and every cell
   * is a record value.
   */
  readonly simple: boolean;
  /** Number of header cells. */
  readonly columns: number;
  /** Builds a row's record (see `csvRecordBuilder`). */
  readonly record: (batch: CsvRowBatch, row: number) => Record<string, string>;
  /** Most cells of a row; the tokenizer keeps `maxFields + 1` cells of a longer row. */
  readonly maxFields: number;
}

/**
 * Describes the tokenizer's header cells.
 * @throws ParseError `TOO_MANY_COLUMNS` when the header has more than `maxFields` cells.
 */
export function csvHeader(
  cells: readonly string[],
  maxFields: number,
  source: SourceRef,
): CsvHeader {
  if (cells.length > maxFields) throw tooManyColumns(source, maxFields);
  const trimmed = cells.map((c) => c.trim());
  const keys = csvRecordKeys(trimmed);
  const names = keys.filter((k): k is string => k !== null);
  const expectedKeys = new Set(names).size;
  return {
    names,
    keys,
    expectedKeys,
    simple: expectedKeys === cells.length,
    columns: cells.length,
    record: csvRecordBuilder(keys),
    maxFields,
  };
}

/** The error of a header with more than `maxFields` columns. */
export function tooManyColumns(source: SourceRef, maxFields: number): ParseError {
  return new ParseError(
    'TOO_MANY_COLUMNS',
    `${source.id}: the header has more than maxFields (${maxFields}) columns`,
    { source, line: 1 },
  );
}

/**
 * The one classification of a bad CSV row, for both engines: an open quoted
 * tail is `unterminated_quote`; a row cut at `maxFields` cells (`tooMany`
 * says the cap) is `too_many_fields`; a row with another number of cells (record
 * keys) than the header is `ragged_row`; a row holding U+FFFD (bytes that
 * are not UTF-8) is `invalid_utf8`; anything else has no problem.
 */
export function rowProblem(
  cells: number,
  expected: number,
  invalidUtf8: boolean,
  unterminatedLine?: number,
  tooMany?: number,
): RowProblem | undefined {
  if (unterminatedLine !== undefined) return unterminatedProblem(unterminatedLine);
  if (tooMany !== undefined) {
    return { reason: 'too_many_fields', message: `row has more than ${tooMany} cells` };
  }
  if (cells !== expected) {
    return { reason: 'ragged_row', message: `row has ${cells} cells, header has ${expected}` };
  }
  if (invalidUtf8)
    return { reason: 'invalid_utf8', message: 'row contains bytes that are not UTF-8' };
  return undefined;
}

/** The problem of the open quoted tail row starting on `line`. */
export function unterminatedProblem(line: number): RowProblem {
  return {
    reason: 'unterminated_quote',
    message: `quoted field opened on or after line ${line} is not closed before end of file`,
  };
}

/**
 * Tokenizer rows as {@link RowBatch}es of at most `batchSize` rows;
 * `unterminated` marks the last row as the open quoted tail. With a plain
 * header (every column its own key) the tokenizer's arrays are the batch;
 * otherwise rows become csv-parser's records (duplicate names, dropped
 * `__proto__` columns) first.
 */
export function csvRowBatches(
  header: CsvHeader,
  rows: CsvRowBatch,
  source: SourceRef,
  unterminated: boolean,
  batchSize: number,
): RowBatch[] {
  const last = rows.length - 1;
  if (!header.simple) {
    const out: RowBatch[] = [];
    const builder = new RowBatchBuilder(source);
    for (let r = 0; r < rows.length; r++) {
      const fields = header.record(rows, r);
      let keys = 0;
      let invalidUtf8 = false;
      for (const key in fields) {
        keys++;
        if (!rows.clean && fields[key]!.indexOf(REPLACEMENT_CHAR) !== -1) invalidUtf8 = true;
      }
      const line = rows.lines[r]!;
      const tail = unterminated && r === last ? line : undefined;
      const over = cellCount(rows, r) > header.maxFields ? header.maxFields : undefined;
      builder.add(line, fields, rowProblem(keys, header.expectedKeys, invalidUtf8, tail, over));
      if (builder.length === batchSize) out.push(builder.take());
    }
    if (builder.length > 0) out.push(builder.take());
    return out;
  }
  const { cells, starts, lines } = rows;
  const columns = header.columns;
  let problems: Map<number, RowProblem> | undefined;
  for (let r = 0; r < rows.length; r++) {
    const count = starts[r + 1]! - starts[r]!;
    const tail = unterminated && r === last;
    if (count === columns && !tail && rowIsClean(rows, r)) continue;
    const over = count > header.maxFields ? header.maxFields : undefined;
    const clean = rowIsClean(rows, r);
    const problem = rowProblem(count, columns, !clean, tail ? lines[r] : undefined, over);
    if (problem !== undefined) problems = withProblem(problems, r, problem);
  }
  const names = header.names;
  if (rows.length <= batchSize) {
    return [{ source, length: rows.length, columns: names, cells, starts, lines, problems }];
  }
  // The parts share the tokenizer's cells: each part's `starts` point into them.
  const out: RowBatch[] = [];
  for (let from = 0; from < rows.length; from += batchSize) {
    const to = Math.min(from + batchSize, rows.length);
    let part: Map<number, RowProblem> | undefined;
    if (problems !== undefined) {
      for (const [r, p] of problems) {
        if (r >= from && r < to) part = withProblem(part, r - from, p);
      }
    }
    out.push({
      source,
      length: to - from,
      columns: names,
      cells,
      starts: starts.slice(from, to + 1),
      lines: lines.slice(from, to),
      problems: part,
    });
  }
  return out;
}

/**
 * False when row `r` may hold bytes that are not UTF-8: its batch had such
 * bytes (judged on the bytes) and a cell of the row holds U+FFFD.
 */
export function rowIsClean(batch: CsvRowBatch, r: number): boolean {
  if (batch.clean) return true;
  const cells = batch.cells;
  const end = batch.starts[r + 1]!;
  for (let i = batch.starts[r]!; i < end; i++) {
    if (cells[i]!.indexOf(REPLACEMENT_CHAR) !== -1) return false;
  }
  return true;
}

/** Adds the source to a tokenizer `LINE_TOO_LONG` error; other errors pass unchanged. */
export function withSource(err: unknown, source: SourceRef, maxRowBytes: number): unknown {
  if (err instanceof ParseError && err.code === 'LINE_TOO_LONG' && err.source === undefined) {
    const line = Math.max(err.line ?? 2, 2);
    return new ParseError(
      'LINE_TOO_LONG',
      `${source.id}: a row starting at or after line ${line} is longer than maxRowBytes (${maxRowBytes} bytes)`,
      { source, line, cause: err },
    );
  }
  return err;
}
