/**
 * Tokenizer rows → the {@link RawRow}s `parseCsv` has always emitted on
 * csv-parser: records keyed by the trimmed header, `ragged_row` when the
 * record's key count differs from the header's, `invalid_utf8` when a value
 * holds U+FFFD, `unterminated_quote` for an open quoted tail. Shared by the
 * fast `parseCsv` engine and the fused stream-file path so that both
 * dead-letter exactly what the csv-parser path does.
 */
import { ParseError } from '../../errors.js';
import type { RawRow, RowProblem, SourceRef } from '../../types.js';
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
}

/** Describes the tokenizer's header cells. */
export function csvHeader(cells: readonly string[]): CsvHeader {
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
  };
}

/** The problem csv-parser-era `parseCsv` attaches to a record, if any. */
export function recordProblem(
  header: CsvHeader,
  fields: Record<string, string>,
): RowProblem | undefined {
  let keys = 0;
  let invalidUtf8 = false;
  for (const key in fields) {
    keys++;
    if (fields[key]!.indexOf(REPLACEMENT_CHAR) !== -1) invalidUtf8 = true;
  }
  if (keys !== header.expectedKeys) {
    return {
      reason: 'ragged_row',
      message: `row has ${keys} cells, header has ${header.expectedKeys}`,
    };
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

/** Row `r` of `batch` as a {@link RawRow}; `unterminated` marks the open quoted tail. */
export function csvRawRow(
  header: CsvHeader,
  batch: CsvRowBatch,
  r: number,
  source: SourceRef,
  unterminated: boolean,
): RawRow {
  const fields = header.record(batch, r);
  const line = batch.lines[r]!;
  let problem: RowProblem | undefined;
  if (unterminated) problem = unterminatedProblem(line);
  else if (!header.simple) problem = recordProblem(header, fields);
  else {
    // Every cell is a record value under its own key: no need to walk the record.
    const cells = cellCount(batch, r);
    if (cells !== header.columns) {
      problem = {
        reason: 'ragged_row',
        message: `row has ${cells} cells, header has ${header.expectedKeys}`,
      };
    } else if (!rowIsClean(batch, r)) {
      problem = { reason: 'invalid_utf8', message: 'row contains bytes that are not UTF-8' };
    }
  }
  return problem === undefined ? { source, line, fields } : { source, line, fields, problem };
}

/** True when row `r` has no U+FFFD in any cell. */
export function rowIsClean(batch: CsvRowBatch, r: number): boolean {
  if (batch.clean) return true;
  const cells = batch.cells;
  const end = batch.starts[r + 1]!;
  for (let i = batch.starts[r]!; i < end; i++) {
    if (cells[i]!.indexOf(REPLACEMENT_CHAR) !== -1) return false;
  }
  return true;
}

/** Number of cells of row `r` (re-exported for the row loops). */
export const cellsOf = cellCount;

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
