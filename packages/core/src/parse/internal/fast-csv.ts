/**
 * A fast, push-based CSV tokenizer with csv-parser 3.x semantics (RFC 4180
 * as csv-parser reads it), built for the hot path: bytes in, flat batches of
 * string cells out, no object, closure or promise per row.
 *
 * How it is fast: each pushed chunk is decoded once, up to its last LF, into
 * one string (latin1 when the bytes are ASCII, UTF-8 otherwise); rows and
 * cells are then found with native `String#indexOf` and cut with `slice`.
 * Only a row containing a quote goes through the byte-by-byte rules of
 * {@link splitQuotedRow}. Only the bytes after the last LF are copied and
 * kept between chunks ({@link LineChunks}).
 *
 * Semantics and differences from csv-parser: see {@link CsvTokenizer}.
 */
import { ParseError } from '../../errors.js';
import { parseOptions } from '../../internal/options.js';
import {
  type CsvRowBatch,
  type CsvTokenizer,
  type CsvTokenizerOptions,
  csvTokenizerOptionsSchema,
  linkBatch,
  newBatch,
} from './fast-csv-batch.js';
import { countLf, LineChunks, type LineText, utf8Length } from './fast-csv-chunks.js';
import { findRowEnd, OPEN, type OpenQuote, splitQuotedRow } from './fast-csv-line.js';

export {
  type CsvRowBatch,
  type CsvTokenizer,
  type CsvTokenizerOptions,
  cellAt,
  cellCount,
  csvTokenizerOptionsSchema,
  rowCells,
} from './fast-csv-batch.js';

const CR = 13;
const BOM = 0xfeff;

/**
 * Creates a CSV tokenizer.
 * @throws OptionsError when the options are invalid.
 */
export function createCsvTokenizer(options: CsvTokenizerOptions = {}): CsvTokenizer {
  const o = parseOptions(csvTokenizerOptionsSchema, options, 'createCsvTokenizer');
  return new FastCsvTokenizer(
    o.maxRowBytes,
    o.maxFields,
    o.delimiter.charCodeAt(0),
    o.skipEmptyLines,
    o.unterminatedQuote === 'row',
    o.maxRows ?? Number.POSITIVE_INFINITY,
  );
}

class FastCsvTokenizer implements CsvTokenizer {
  header: string[] | undefined = undefined;
  emptyLinesSkipped = 0;
  unterminated = false;

  private readonly delimiterChar: string;
  /** Rows of at most this many chars are certainly within `maxRowBytes`. */
  private readonly safeChars: number;
  /** Bytes in, texts ending with LF out. */
  private readonly chunks = new LineChunks();
  /** Decoded start of a row left open by a quoted LF at the end of a chunk. */
  private carry = '';
  /** Whether the bytes of `carry` / of the text being tokenized were valid UTF-8. */
  private carryUtf8 = true;
  private textUtf8 = true;
  /** Physical line where the next (or the carried) row starts. */
  private line = 1;
  /** Offset, from its row's start, of the quote that left the row open. */
  private readonly open: OpenQuote = { at: 0 };
  private started = false;
  private ended = false;
  /** The batch rows are added to: the last of the chain `push`/`end` returns. */
  private tail: CsvRowBatch = newBatch();

  constructor(
    private readonly maxRowBytes: number,
    private readonly maxFields: number,
    private readonly delimiter: number,
    private readonly skipEmptyLines: boolean,
    private readonly unterminatedAsRow: boolean,
    private readonly maxRows: number,
  ) {
    this.delimiterChar = String.fromCharCode(delimiter);
    this.safeChars = Math.floor(maxRowBytes / 3);
  }

  push(chunk: Uint8Array): CsvRowBatch {
    this.assertOpen();
    const out = newBatch();
    this.tail = out;
    for (const block of this.chunks.push(chunk)) this.feed(block, false);
    // The carry and the kept bytes are the same row: their sum is a lower bound of its bytes.
    if (this.carry.length + this.chunks.length > this.maxRowBytes) this.tooLong();
    return out;
  }

  end(): CsvRowBatch {
    this.assertOpen();
    this.ended = true;
    const out = newBatch();
    this.tail = out;
    this.feed(this.chunks.end(), true);
    return out;
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('CSV tokenizer: push() or end() called after end()');
  }

  /**
   * Tokenizes decoded text. Unless `final`, `text` ends with LF, so only a row
   * open in quotes can be left over (kept in `carry`).
   */
  private feed(block: LineText, final: boolean): void {
    let text = block.text;
    let pos = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    // UTF-8 is judged on the bytes (LineChunks): a U+FFFD decoded from valid
    // bytes is a real character. A batch with invalid bytes has its cells
    // checked for U+FFFD, so there a real U+FFFD is taken for an invalid byte.
    const length0 = this.carry.length;
    this.textUtf8 = block.utf8 && (length0 === 0 || this.carryUtf8);
    if (!this.textUtf8) this.tail.clean = false;
    if (length0 > 0) {
      // Resume the open row: it is in quotes at the end of the carry.
      text = this.carry + text;
      this.carry = '';
      const end = findRowEnd(this.open, text, 0, length0, true);
      if (end === OPEN) {
        this.keepOpen(text, 0, final);
        return;
      }
      pos = this.quotedRow(text, 0, end);
    }
    if (this.header === undefined && pos < text.length) {
      // The header goes through the general path, keeping the hot loop free of it.
      const end = findRowEnd(this.open, text, pos, pos, false);
      if (end === OPEN) {
        this.keepOpen(text, pos, final);
        return;
      }
      pos = this.quotedRow(text, pos, end);
    }
    this.rows(text, pos, final);
  }

  /** The hot loop: rows from `pos` to the end of `text` (header already read). */
  private rows(text: string, start: number, final: boolean): void {
    let pos = start;
    let out = this.tail;
    let { cells, starts, lines } = out;
    const maxRows = this.maxRows;
    const delimiterChar = this.delimiterChar;
    const safeChars = this.safeChars;
    const maxFields = this.maxFields;
    const length = text.length;
    let quote = text.indexOf('"', pos);
    let delimiter = text.indexOf(delimiterChar, pos);
    while (pos < length) {
      let lf = text.indexOf('\n', pos);
      if (quote >= 0 && (quote < lf || lf < 0)) {
        const end = findRowEnd(this.open, text, pos, quote, false);
        if (end === OPEN) {
          this.keepOpen(text, pos, final);
          return;
        }
        pos = this.quotedRow(text, pos, end);
        if (this.tail !== out) ({ cells, starts, lines } = out = this.tail);
        quote = text.indexOf('"', pos);
        if (delimiter >= 0 && delimiter < pos) delimiter = text.indexOf(delimiterChar, pos);
        continue;
      }
      if (lf < 0) lf = length; // final line without LF
      if (lf - pos > safeChars) this.checkRowBytes(text, pos, lf);
      let end = lf;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      const line = this.line++;
      if (end === pos && this.skipEmptyLines) {
        this.emptyLinesSkipped++;
        pos = lf + 1;
        continue;
      }
      if (out.length === maxRows) ({ cells, starts, lines } = out = this.room());
      if (end > pos) {
        let from = pos;
        let room = maxFields;
        while (delimiter >= 0 && delimiter < end) {
          if (--room < 0) {
            // Past maxFields: the row ends with one empty cell, the rest is not cut.
            from = end;
            delimiter = text.indexOf(delimiterChar, end);
            break;
          }
          cells[cells.length] = text.slice(from, delimiter);
          from = delimiter + 1;
          delimiter = text.indexOf(delimiterChar, from);
        }
        cells[cells.length] = text.slice(from, end);
      }
      // Stores at the end rather than `push`, which this loop calls (not inlines).
      starts[starts.length] = cells.length;
      lines[lines.length] = line;
      out.length++;
      pos = lf + 1;
    }
  }

  /** The batch for one more row: the tail, or a new one linked to it when the tail is full. */
  private room(): CsvRowBatch {
    if (this.tail.length === this.maxRows) this.tail = linkBatch(this.tail);
    return this.tail;
  }

  /** Emits the quoted row `text[start, lf)`; returns the next row's start. */
  private quotedRow(text: string, start: number, lf: number): number {
    if (lf - start > this.safeChars) this.checkRowBytes(text, start, lf);
    const line = this.line;
    this.line += 1 + countLf(text, start, lf);
    let end = lf;
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    // Rows reach here with a quote (never empty) or as the header (maybe empty).
    this.splitRow(text, start, end, line);
    return lf + 1;
  }

  /** Splits `text[start..end)` into cells: the header if none was read yet, else a row. */
  private splitRow(text: string, start: number, end: number, line: number) {
    const out = this.header === undefined ? this.tail : this.room();
    const cells = out.cells;
    const first = cells.length;
    splitQuotedRow(text, start, end, this.delimiter, this.maxFields, cells);
    if (this.header === undefined) {
      this.header = cells.splice(first);
    } else {
      out.starts.push(cells.length);
      out.lines.push(line);
      out.length++;
    }
  }

  /** The row from `start` is still in quotes at the end of `text`. */
  private keepOpen(text: string, start: number, final: boolean): void {
    if (final && this.unterminatedAsRow) {
      this.unterminatedRow(text, start);
      return;
    }
    if (final) {
      const line = this.line + countLf(text, start, start + this.open.at);
      throw new ParseError(
        'CSV_UNTERMINATED_QUOTE',
        `Unterminated quoted field: the quote opened on line ${line} is never closed`,
        { line },
      );
    }
    this.carry = start === 0 ? text : text.slice(start);
    this.carryUtf8 = this.textUtf8;
    if (this.carry.length > this.maxRowBytes) this.tooLong();
  }

  /**
   * csv-parser's flush: the open tail `text[start..]` is one row; only a
   * final CR is dropped (its LFs stay in the cells).
   */
  private unterminatedRow(text: string, start: number): void {
    let end = text.length;
    if (end - start > this.safeChars) this.checkRowBytes(text, start, end);
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    const line = this.line;
    this.line += countLf(text, start, text.length);
    this.unterminated = true;
    this.splitRow(text, start, end, line);
  }

  private checkRowBytes(text: string, start: number, end: number): void {
    const size = end - start > this.maxRowBytes ? end - start : utf8Length(text, start, end);
    if (size > this.maxRowBytes) this.tooLong();
  }

  private tooLong(): never {
    this.ended = true;
    const line = this.line;
    throw new ParseError(
      'LINE_TOO_LONG',
      `CSV row starting on line ${line} exceeds maxRowBytes (${this.maxRowBytes} bytes)`,
      { line },
    );
  }
}
