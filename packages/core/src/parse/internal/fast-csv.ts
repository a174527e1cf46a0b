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
 * kept between chunks.
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
import { isAscii } from 'node:buffer';
import { ParseError } from '../../errors.js';
import { parseOptions } from '../../internal/options.js';
import {
  type CsvRowBatch,
  type CsvTokenizer,
  type CsvTokenizerOptions,
  csvTokenizerOptionsSchema,
} from './fast-csv-batch.js';
import { splitQuotedRow } from './fast-csv-line.js';

export {
  type CsvRowBatch,
  type CsvTokenizer,
  type CsvTokenizerOptions,
  cellAt,
  cellCount,
  csvTokenizerOptionsSchema,
  rowCells,
} from './fast-csv-batch.js';

const LF = 10;
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
  );
}

function newBatch(): CsvRowBatch {
  return { length: 0, cells: [], starts: [0], lines: [], clean: true };
}

class FastCsvTokenizer implements CsvTokenizer {
  header: string[] | undefined = undefined;
  emptyLinesSkipped = 0;
  unterminated = false;

  private readonly delimiterChar: string;
  /** Rows of at most this many chars are certainly within `maxRowBytes`. */
  private readonly safeChars: number;
  /** Undecoded bytes after the last LF seen (a fragment of one row). */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Decoded start of a row left open by a quoted LF at the end of a chunk. */
  private carry = '';
  /** Physical line where the next (or the carried) row starts. */
  private line = 1;
  /** Offset, from its row's start, of the quote that left the row open. */
  private openQuote = 0;
  private started = false;
  private ended = false;

  constructor(
    private readonly maxRowBytes: number,
    private readonly maxFields: number,
    private readonly delimiter: number,
    private readonly skipEmptyLines: boolean,
    private readonly unterminatedAsRow: boolean,
  ) {
    this.delimiterChar = String.fromCharCode(delimiter);
    this.safeChars = Math.floor(maxRowBytes / 3);
  }

  push(chunk: Uint8Array): CsvRowBatch {
    this.assertOpen();
    const out = newBatch();
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lastLf = bytes.lastIndexOf(LF);
    if (lastLf < 0) {
      this.keepPending(bytes, 0);
      return out;
    }
    if (this.pendingLength === 0) {
      this.feed(decode(bytes, 0, lastLf + 1), out, false);
    } else {
      const firstLf = bytes.indexOf(LF);
      this.pending.push(bytes.subarray(0, firstLf + 1));
      const head = Buffer.concat(this.pending, this.pendingLength + firstLf + 1);
      this.pending = [];
      this.pendingLength = 0;
      this.feed(decode(head, 0, head.length), out, false);
      if (lastLf > firstLf) this.feed(decode(bytes, firstLf + 1, lastLf + 1), out, false);
    }
    this.keepPending(bytes, lastLf + 1);
    return out;
  }

  end(): CsvRowBatch {
    this.assertOpen();
    this.ended = true;
    const out = newBatch();
    const rest = this.pendingLength === 0 ? '' : decodeParts(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    this.feed(rest, out, true);
    return out;
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('CSV tokenizer: push() or end() called after end()');
  }

  /** Copies `bytes[from..]` (no LF in it) to the pending fragment. */
  private keepPending(bytes: Buffer, from: number): void {
    const size = bytes.length - from;
    if (size === 0) return;
    // carry and pending are the same row: their sum is a lower bound of its bytes.
    if (this.carry.length + this.pendingLength + size > this.maxRowBytes) this.tooLong();
    this.pending.push(Buffer.from(bytes.subarray(from)));
    this.pendingLength += size;
  }

  /**
   * Tokenizes decoded text. Unless `final`, `text` ends with LF, so only a row
   * open in quotes can be left over (kept in `carry`).
   */
  private feed(input: string, out: CsvRowBatch, final: boolean): void {
    let text = input;
    let pos = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    // One native scan per decoded text instead of one per cell.
    if (out.clean && text.indexOf('\uFFFD') !== -1) out.clean = false;
    const length0 = this.carry.length;
    if (length0 > 0) {
      // Resume the open row: it is in quotes at the end of the carry.
      if (out.clean && this.carry.indexOf('\uFFFD') !== -1) out.clean = false;
      text = this.carry + text;
      this.carry = '';
      const end = this.findRowEnd(text, 0, length0, true);
      if (end === OPEN) {
        this.keepOpen(text, 0, final, out);
        return;
      }
      pos = this.quotedRow(text, 0, end, out);
    }
    if (this.header === undefined && pos < text.length) {
      // The header goes through the general path, keeping the hot loop free of it.
      const end = this.findRowEnd(text, pos, pos, false);
      if (end === OPEN) {
        this.keepOpen(text, pos, final, out);
        return;
      }
      pos = this.quotedRow(text, pos, end, out);
    }
    this.rows(text, pos, out, final);
  }

  /** The hot loop: rows from `pos` to the end of `text` (header already read). */
  private rows(text: string, start: number, out: CsvRowBatch, final: boolean): void {
    let pos = start;
    const cells = out.cells;
    const starts = out.starts;
    const lines = out.lines;
    const delimiterChar = this.delimiterChar;
    const safeChars = this.safeChars;
    const maxFields = this.maxFields;
    const length = text.length;
    let quote = text.indexOf('"', pos);
    let delimiter = text.indexOf(delimiterChar, pos);
    while (pos < length) {
      let lf = text.indexOf('\n', pos);
      if (quote >= 0 && (quote < lf || lf < 0)) {
        const end = this.findRowEnd(text, pos, quote, false);
        if (end === OPEN) {
          this.keepOpen(text, pos, final, out);
          return;
        }
        pos = this.quotedRow(text, pos, end, out);
        quote = text.indexOf('"', pos);
        if (delimiter >= 0 && delimiter < pos) delimiter = text.indexOf(delimiterChar, pos);
        continue;
      }
      if (lf < 0) lf = length; // final line without LF
      if (lf - pos > safeChars) this.checkRowBytes(text, pos, lf);
      let end = lf;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      const line = this.line++;
      if (end === pos) {
        if (this.skipEmptyLines) {
          this.emptyLinesSkipped++;
          pos = lf + 1;
          continue;
        }
      } else {
        let from = pos;
        let room = maxFields;
        while (delimiter >= 0 && delimiter < end) {
          if (--room < 0) {
            // Past maxFields: the row ends with one empty cell, the rest is not cut.
            from = end;
            delimiter = text.indexOf(delimiterChar, end);
            break;
          }
          cells.push(text.slice(from, delimiter));
          from = delimiter + 1;
          delimiter = text.indexOf(delimiterChar, from);
        }
        cells.push(text.slice(from, end));
      }
      starts.push(cells.length);
      lines.push(line);
      out.length++;
      pos = lf + 1;
    }
  }

  /**
   * Finds the LF that ends the row starting at `start`, scanning quotes from
   * `from` (inside quotes if `inQuotes`). Returns the LF index, the text
   * length for a final line without LF, or {@link OPEN} if the row is still
   * in quotes at the end of the text.
   */
  private findRowEnd(text: string, start: number, from: number, inQuotes: boolean): number {
    let at = from;
    let quoted = inQuotes;
    let lf = -1;
    for (;;) {
      if (quoted) {
        const quote = text.indexOf('"', at);
        if (quote < 0) return OPEN;
        quoted = false;
        at = quote + 1;
      } else {
        if (lf < at) {
          lf = text.indexOf('\n', at);
          // No LF left: only on the final line (otherwise the text ends with LF).
          if (lf < 0) lf = text.length;
        }
        const quote = text.indexOf('"', at);
        if (quote < 0 || quote > lf) return lf;
        quoted = true;
        this.openQuote = quote - start;
        at = quote + 1;
      }
    }
  }

  /** Emits the quoted row `text[start, lf)`; returns the next row's start. */
  private quotedRow(text: string, start: number, lf: number, out: CsvRowBatch): number {
    if (lf - start > this.safeChars) this.checkRowBytes(text, start, lf);
    const line = this.line;
    this.line += 1 + countLf(text, start, lf);
    let end = lf;
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    // Rows reach here with a quote (never empty) or as the header (maybe empty).
    this.splitRow(text, start, end, line, out);
    return lf + 1;
  }

  /** Splits `text[start..end)` into cells: the header if none was read yet, else a row of `out`. */
  private splitRow(text: string, start: number, end: number, line: number, out: CsvRowBatch) {
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
  private keepOpen(text: string, start: number, final: boolean, out: CsvRowBatch): void {
    if (final && this.unterminatedAsRow) {
      this.unterminatedRow(text, start, out);
      return;
    }
    if (final) {
      const line = this.line + countLf(text, start, start + this.openQuote);
      throw new ParseError(
        'CSV_UNTERMINATED_QUOTE',
        `Unterminated quoted field: the quote opened on line ${line} is never closed`,
        { line },
      );
    }
    this.carry = start === 0 ? text : text.slice(start);
    if (this.carry.length > this.maxRowBytes) this.tooLong();
  }

  /**
   * csv-parser's flush: the open tail `text[start..]` is one row; only a
   * final CR is dropped (its LFs stay in the cells).
   */
  private unterminatedRow(text: string, start: number, out: CsvRowBatch): void {
    let end = text.length;
    if (end - start > this.safeChars) this.checkRowBytes(text, start, end);
    if (end > start && text.charCodeAt(end - 1) === CR) end--;
    const line = this.line;
    this.line += countLf(text, start, text.length);
    this.unterminated = true;
    this.splitRow(text, start, end, line, out);
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

/** Marker returned by `findRowEnd` for a row still in quotes. */
const OPEN = -1;

function decode(bytes: Buffer, start: number, end: number): string {
  const view = bytes.subarray(start, end);
  return isAscii(view) ? view.toString('latin1') : view.toString('utf8');
}

function decodeParts(parts: Buffer[], length: number): string {
  const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  return decode(all, 0, all.length);
}

function countLf(text: string, start: number, end: number): number {
  let count = 0;
  let at = text.indexOf('\n', start);
  while (at >= 0 && at < end) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}

function utf8Length(text: string, start: number, end: number): number {
  return Buffer.byteLength(start === 0 && end === text.length ? text : text.slice(start, end));
}
