/**
 * The fused CSV path of the reference loaders: songs and users rows go from
 * tokenizer batches straight to the table builder, reading only the columns
 * the table needs, with no record object per plainly valid row (records and
 * their validation were the bulk of the main thread's heap while loading a
 * songs file of some twenty columns).
 *
 * Any row that is not plainly valid takes the slow path, which is exactly
 * parse → validate: the same record, schema, reasons and dead-letter
 * entries, written per group of `DEFAULT_BATCH_SIZE` rows in file order.
 */

import type { DeadLetterEntry, DeadLetterSink } from '../../dead-letter/dead-letter.js';
import type { RunMetrics } from '../../metrics.js';
import { checkHeader } from '../../parse/check-header.js';
import type { ByteSource } from '../../parse/internal/bytes.js';
import { type CsvHeader, csvHeader, csvRawRow, rowIsClean } from '../../parse/internal/csv-rows.js';
import type { CsvRowBatch } from '../../parse/internal/fast-csv.js';
import { DEFAULT_BATCH_SIZE } from '../../parse/internal/parse-options.js';
import type { SongRow, SourceRef, UserRow } from '../../types.js';
import { fastUserId, isTrimmedNonEmpty } from '../../validate/internal/stream-row-fast.js';
import { checkRawRow, fastNonNegative, rowValidator } from '../../validate/row-check.js';
import { driveFusedCsv } from './csv-fused-driver.js';

/** The row type of each reference dataset. */
export interface ReferenceRow {
  readonly songs: SongRow;
  readonly users: UserRow;
}

/** Options of {@link foldReferenceCsv}. */
export interface ReferenceCsvOptions<D extends keyof ReferenceRow> {
  readonly dataset: D;
  readonly source: SourceRef;
  readonly deadLetter: DeadLetterSink;
  readonly metrics: RunMetrics;
  readonly maxRowBytes: number;
  readonly signal: AbortSignal;
  /** Called with every valid row, in file order. */
  readonly onRow: (row: ReferenceRow[D]) => void;
}

/**
 * Reads one CSV reference file; resolves to its number of valid rows.
 * @throws HeaderError when a required column is missing; ParseError as parseCsv.
 */
export async function foldReferenceCsv<D extends keyof ReferenceRow>(
  bytes: ByteSource,
  options: ReferenceCsvOptions<D>,
): Promise<number> {
  const folder = new ReferenceRows(options);
  await driveFusedCsv(bytes, options, folder);
  return folder.valid;
}

/** Reads the columns of a plainly valid row, or undefined (then the slow path decides). */
type FastRow<T> = (cells: readonly string[], base: number, columns: Int32Array) => T | undefined;

/** The columns each fast reader gets, in this order. */
const FAST_COLUMNS = {
  songs: ['track_id', 'track_name', 'duration_ms', 'track_genre'],
  users: ['user_id'],
} as const;

/** Each returns exactly what the dataset's validator returns for the rows it accepts. */
const FAST: { readonly [D in keyof ReferenceRow]: FastRow<ReferenceRow[D]> } = {
  songs(cells, base, c) {
    const trackId = cells[base + c[0]!]!;
    const genre = cells[base + c[3]!]!;
    const duration = fastNonNegative(cells[base + c[2]!]);
    if (duration < 0 || !isTrimmedNonEmpty(trackId) || !isTrimmedNonEmpty(genre)) return undefined;
    return {
      track_id: trackId,
      track_name: cells[base + c[1]!]!.trim(),
      duration_ms: duration,
      track_genre: genre,
    };
  },
  users(cells, base, c) {
    const userId = fastUserId(cells[base + c[0]!]!);
    return userId < 0 ? undefined : { user_id: userId };
  },
};

class ReferenceRows<D extends keyof ReferenceRow> {
  header: CsvHeader | undefined;
  valid = 0;
  private readonly validate;
  private readonly fastRow: FastRow<ReferenceRow[D]>;
  private columns = new Int32Array(0);
  private groupRows = 0;
  private rejected: DeadLetterEntry[] = [];

  constructor(private readonly o: ReferenceCsvOptions<D>) {
    this.validate = rowValidator(o.dataset);
    this.fastRow = FAST[o.dataset] as FastRow<ReferenceRow[D]>;
  }

  setHeader(cells: readonly string[]): void {
    const header = csvHeader(cells);
    checkHeader(this.o.dataset, header.names, this.o.source);
    this.header = header;
    this.columns = Int32Array.from(FAST_COLUMNS[this.o.dataset], (name) =>
      header.keys.lastIndexOf(name),
    );
  }

  async rows(batch: CsvRowBatch, unterminated: boolean): Promise<void> {
    const header = this.header;
    if (header === undefined || batch.length === 0) return;
    const { cells, starts } = batch;
    const columns = header.simple ? header.columns : -1;
    const slowRow = unterminated ? batch.length - 1 : -1;
    for (let r = 0; r < batch.length; r++) {
      const base = starts[r]!;
      const row =
        starts[r + 1]! - base === columns && r !== slowRow && rowIsClean(batch, r)
          ? this.fastRow(cells, base, this.columns)
          : undefined;
      if (row !== undefined) {
        this.valid++;
        this.o.onRow(row);
      } else {
        this.slow(header, batch, r, r === slowRow);
      }
      if (++this.groupRows === DEFAULT_BATCH_SIZE) await this.flush();
    }
  }

  /** Ends the current group: counts its rows, writes its dead letters. */
  async flush(): Promise<void> {
    const { source, metrics, deadLetter } = this.o;
    if (this.groupRows > 0) metrics.addRead(source, this.groupRows);
    this.groupRows = 0;
    if (this.rejected.length > 0) {
      const entries = this.rejected;
      this.rejected = [];
      await deadLetter.write(entries);
    }
  }

  /** Exactly what parse → validate do with one row. */
  private slow(header: CsvHeader, batch: CsvRowBatch, r: number, unterminated: boolean): void {
    const { source, metrics } = this.o;
    const check = checkRawRow(csvRawRow(header, batch, r, source, unterminated), this.validate);
    if (!check.ok) {
      this.rejected.push(check.entry);
      metrics.addRejected(source, check.entry.reasons[0]?.reason ?? 'unknown');
      return;
    }
    this.valid++;
    this.o.onRow(check.value as ReferenceRow[D]);
  }
}
