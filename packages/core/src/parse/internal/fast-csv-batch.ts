/** The CSV tokenizer's options and its flat row batches (see fast-csv.ts). */
import { z } from 'zod';

/** Options of {@link createCsvTokenizer}. */
export const csvTokenizerOptionsSchema = z.strictObject({
  /**
   * Largest row accepted, in UTF-8 bytes of its text without the final LF
   * (an invalid byte counts as its 3-byte replacement). Default 4 MiB.
   */
  maxRowBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /**
   * Most cells a row keeps: the cells of a longer row past this many are not
   * made (its cost stays bounded whatever its delimiter count); such a row
   * is emitted with exactly `maxFields + 1` cells, the last one empty, so a
   * row with more than `maxFields` cells is recognised by its count.
   * Default 10,000.
   */
  maxFields: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Cell delimiter: one ASCII character other than `"`, CR and LF. Default `,`. */
  delimiter: z
    .string()
    .refine((d) => d.length === 1 && d.charCodeAt(0) < 128 && !'"\r\n'.includes(d), {
      message: 'Expected `delimiter` to be one ASCII character other than a quote, CR or LF',
    })
    .default(','),
  /** Drop empty lines (counted in `emptyLinesSkipped`) instead of emitting zero-cell rows. */
  skipEmptyLines: z.boolean().default(false),
  /**
   * A quote still open at end of input: `'throw'` (default) fails with
   * `CSV_UNTERMINATED_QUOTE`; `'row'` does what csv-parser does — the text
   * from the row where it opened to the end becomes one last row (split by
   * csv-parser's rules) and {@link CsvTokenizer.unterminated} is set.
   */
  unterminatedQuote: z.enum(['throw', 'row']).default('throw'),
  /**
   * Most rows of one batch: the rows of a `push`/`end` past this many go to
   * further batches linked by {@link CsvRowBatch.next}, each with its own
   * arrays (so a consumer cutting batches of this size copies nothing).
   * Default: no limit.
   */
  maxRows: z.number().int().min(1).optional(),
});

/** Options of {@link createCsvTokenizer}, as the caller writes them. */
export type CsvTokenizerOptions = z.input<typeof csvTokenizerOptionsSchema>;

/**
 * Data rows completed by one `push`/`end`, stored flat: row `r` has the cells
 * `cells[starts[r] .. starts[r + 1])` and started on physical line `lines[r]`.
 * Read a column by index with {@link cellAt}; no per-row array is built.
 */
export interface CsvRowBatch {
  /** Number of rows. */
  length: number;
  /** Cell values of all rows, row after row. */
  readonly cells: string[];
  /** Index in `cells` of each row's first cell, plus a final `cells.length`. */
  readonly starts: number[];
  /** 1-based physical line (LF count) where each row starts; the header is line 1. */
  readonly lines: number[];
  /**
   * False when the bytes of this batch were not all valid UTF-8 (judged on
   * the bytes): then a cell holding U+FFFD may hold an invalid byte. When
   * true, any U+FFFD is a real character and per-cell checks are skipped.
   */
  clean: boolean;
  /** With `maxRows`: the batch holding the next rows of the same `push`/`end`. */
  next: CsvRowBatch | undefined;
}

/** An empty batch to fill. */
export function newBatch(): CsvRowBatch {
  return { length: 0, cells: [], starts: [0], lines: [], clean: true, next: undefined };
}

/** A new empty batch linked after `tail`, with its `clean` flag (the same text goes on). */
export function linkBatch(tail: CsvRowBatch): CsvRowBatch {
  const next = newBatch();
  next.clean = tail.clean;
  tail.next = next;
  return next;
}

/**
 * A push-based CSV tokenizer; see {@link createCsvTokenizer}.
 *
 * Semantics (checked against csv-parser by a differential property test):
 * - rows end at LF outside quotes; one CR before it is dropped (CRLF);
 *   a row is inside quotes while it has seen an odd number of quotes;
 * - a UTF-8 BOM at the very start is dropped (csv-parser keeps it; it is
 *   usually stripped before csv-parser);
 * - the first line is the header, even if empty;
 * - an empty line is a row with zero cells (csv-parser emits `{}`), unless
 *   `skipEmptyLines` (then counted in `emptyLinesSkipped`);
 * - a final line without LF is a row; an empty final line is not;
 * - invalid UTF-8 decodes to U+FFFD, as `Buffer#toString` / `TextDecoder`
 *   (and csv-parser) do;
 * - bare CR line ends (which csv-parser detects from the header line) are
 *   not supported: a bare CR is data.
 *
 * Differences by design: an unterminated quote at end of input throws
 * `ParseError` `CSV_UNTERMINATED_QUOTE` (csv-parser swallows the rest of the
 * file into one cell); a row longer than `maxRowBytes` throws `ParseError`
 * `LINE_TOO_LONG` without buffering more than about that many bytes; a row
 * with more than `maxFields` cells keeps only `maxFields + 1` of them.
 *
 * Cells are `slice`s of the decoded chunk: V8 may keep the chunk's string
 * alive as long as a long cell (13+ chars) is; copy cells you keep for long.
 */
export interface CsvTokenizer {
  /**
   * Tokenizes the next bytes; returns the data rows they complete. The chunk
   * may end anywhere (inside a cell, a quoted field, a CRLF or a UTF-8
   * character). The tokenizer does not keep a reference to `chunk`.
   * @throws ParseError `LINE_TOO_LONG` when a row exceeds `maxRowBytes`.
   */
  push(chunk: Uint8Array): CsvRowBatch;
  /**
   * Ends the input; returns the remaining rows (the final line may lack LF).
   * @throws ParseError `CSV_UNTERMINATED_QUOTE` (with the line where the open
   * quote is) or `LINE_TOO_LONG`.
   */
  end(): CsvRowBatch;
  /** Header cells (the first line), once it has been read. */
  readonly header: readonly string[] | undefined;
  /** Empty lines dropped because of `skipEmptyLines`. */
  readonly emptyLinesSkipped: number;
  /**
   * With `unterminatedQuote: 'row'`: true once `end()` emitted the open
   * quoted tail as the last row (or as the header, when no row was complete).
   */
  readonly unterminated: boolean;
}

/** Value of column `column` of row `row`, or `undefined` if the row is shorter. */
export function cellAt(batch: CsvRowBatch, row: number, column: number): string | undefined {
  const at = batch.starts[row]! + column;
  return at < batch.starts[row + 1]! ? batch.cells[at] : undefined;
}

/** Number of cells of row `row`. */
export function cellCount(batch: CsvRowBatch, row: number): number {
  return batch.starts[row + 1]! - batch.starts[row]!;
}

/** The cells of row `row` as a new array (convenient, not for the hot path). */
export function rowCells(batch: CsvRowBatch, row: number): string[] {
  return batch.cells.slice(batch.starts[row], batch.starts[row + 1]);
}
