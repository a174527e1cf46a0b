/**
 * The fused CSV path of `aggregateStreamFile`: bytes → tokenizer batches →
 * the three columns by index → allocation-free checks → songs lookup →
 * {@link KpiFolder}, with no object, promise or closure per good row.
 *
 * Any row that is not plainly good (ragged, U+FFFD, padded or odd values,
 * unknown track, the open quoted tail…) takes the slow path: the same record,
 * zod schema and dead-letter entries as parse → validate → join. Rows are
 * grouped like the staged path's parser batches (`DEFAULT_BATCH_SIZE`), and
 * dead letters are written per group in the same order (validation rejects,
 * then unknown tracks), so sinks and counters see what they saw before.
 */

import type { KpiFolder } from '../../aggregate/internal/kpi-folder.js';
import { strictUtc } from '../../aggregate/internal/kpi-time.js';
import { ZoneClock } from '../../aggregate/zone.js';
import type { DeadLetterEntry, DeadLetterSink } from '../../dead-letter/dead-letter.js';
import { type JoinMetrics, unknownTrackEntry } from '../../join/join-songs.js';
import type { SongsTable } from '../../join/songs-table.js';
import type { UsersTable } from '../../join/users-table.js';
import type { RunMetrics } from '../../metrics.js';
import { checkHeader } from '../../parse/check-header.js';
import type { ByteSource } from '../../parse/internal/bytes.js';
import { type CsvHeader, csvHeader, csvRawRow, rowIsClean } from '../../parse/internal/csv-rows.js';
import type { CsvRowBatch } from '../../parse/internal/fast-csv.js';
import { DEFAULT_BATCH_SIZE } from '../../parse/internal/parse-options.js';
import type { SourceRef } from '../../types.js';
import {
  fastListenUtc,
  fastUserId,
  isTrimmedNonEmpty,
} from '../../validate/internal/stream-row-fast.js';
import { checkRawRow, rowValidator } from '../../validate/row-check.js';
import { type ListenTimeWindow, listenTimeInWindow } from '../../validate/time.js';
import { driveFusedCsv } from './csv-fused-driver.js';

/** What the fused path reads from and adds to. */
export interface FusedCsvOptions {
  readonly source: SourceRef;
  readonly songs: SongsTable;
  readonly users: UsersTable | undefined;
  readonly deadLetter: DeadLetterSink;
  readonly metrics: RunMetrics;
  readonly joinMetrics: JoinMetrics;
  readonly folder: KpiFolder;
  readonly sourceClock: ZoneClock;
  readonly maxRowBytes: number;
  readonly signal: AbortSignal;
  readonly listenTimeWindow: ListenTimeWindow | undefined;
}

const UTC = new ZoneClock('UTC');

/** Folds one CSV stream object; resolves to the number of rows aggregated. */
export async function foldStreamCsv(bytes: ByteSource, options: FusedCsvOptions): Promise<number> {
  const folder = new FusedRows(options);
  await driveFusedCsv(bytes, options, folder);
  return folder.aggregated;
}

class FusedRows {
  header: CsvHeader | undefined;
  aggregated = 0;
  private userCol = -1;
  private trackCol = -1;
  private timeCol = -1;
  /** Rows of the current group (the staged path's parser batch). */
  private groupRows = 0;
  private invalid: DeadLetterEntry[] = [];
  private unknown: DeadLetterEntry[] = [];
  private readonly validateStream: ReturnType<typeof rowValidator<'streams'>>;

  private readonly utcSource: boolean;

  constructor(private readonly o: FusedCsvOptions) {
    this.validateStream = rowValidator('streams', o.listenTimeWindow);
    this.utcSource = o.sourceClock.timeZone === 'UTC';
  }

  setHeader(cells: readonly string[]): void {
    const header = csvHeader(cells);
    checkHeader('streams', header.names, this.o.source);
    this.header = header;
    this.userCol = header.keys.lastIndexOf('user_id');
    this.trackCol = header.keys.lastIndexOf('track_id');
    this.timeCol = header.keys.lastIndexOf('listen_time');
  }

  /** Folds the rows of one tokenizer batch; `unterminated`: its last row is the open quoted tail. */
  async rows(batch: CsvRowBatch, unterminated: boolean): Promise<void> {
    const header = this.header;
    if (header === undefined || batch.length === 0) return;
    const starts = batch.starts;
    const columns = header.simple ? header.columns : -1;
    const slowRow = unterminated ? batch.length - 1 : -1;
    const joinMetrics = this.o.joinMetrics;
    let joined = 0;
    for (let r = 0; r < batch.length; r++) {
      const base = starts[r]!;
      if (starts[r + 1]! - base === columns && r !== slowRow && this.fast(batch, r, base)) {
        joined++;
      } else {
        this.slow(header, batch, r, r === slowRow);
      }
      if (++this.groupRows === DEFAULT_BATCH_SIZE) {
        joinMetrics.joined += joined;
        this.aggregated += joined;
        joined = 0;
        await this.flush();
      }
    }
    joinMetrics.joined += joined;
    this.aggregated += joined;
  }

  /**
   * Folds row `r` if it is plainly good (see stream-row-fast.ts); false,
   * having changed nothing, when it needs the slow path.
   */
  private fast(batch: CsvRowBatch, r: number, base: number): boolean {
    const cells = batch.cells;
    const userId = fastUserId(cells[base + this.userCol]!);
    if (userId < 0) return false;
    const trackId = cells[base + this.trackCol]!;
    if (!isTrimmedNonEmpty(trackId)) return false;
    const { songs, users, folder, sourceClock, joinMetrics } = this.o;
    const track = songs.trackOf(trackId);
    if (track < 0) return false;
    const time = cells[base + this.timeCol]!;
    const utc = fastListenUtc(time, sourceClock);
    if (Number.isNaN(utc) || !rowIsClean(batch, r)) return false;
    // The window sees zone-less times read as UTC, as validateRows does.
    const checkMs = this.utcSource ? utc : fastListenUtc(time, UTC);
    if (!listenTimeInWindow(checkMs, this.o.listenTimeWindow)) return false;
    if (users !== undefined && !users.has(userId)) joinMetrics.unknownUsers++;
    folder.fold(userId, track, utc);
    return true;
  }

  /** Ends the current group: counts its rows as read, writes its dead letters. */
  async flush(): Promise<void> {
    const { source, metrics, deadLetter } = this.o;
    if (this.groupRows > 0) metrics.addRead(source, this.groupRows);
    this.groupRows = 0;
    if (this.invalid.length > 0) {
      const entries = this.invalid;
      this.invalid = [];
      await deadLetter.write(entries);
    }
    if (this.unknown.length > 0) {
      const entries = this.unknown;
      this.unknown = [];
      await deadLetter.write(entries);
    }
  }

  /** Exactly what parse → validate → join → aggregate do with one row. */
  private slow(header: CsvHeader, batch: CsvRowBatch, r: number, unterminated: boolean): void {
    const { source, songs, users, metrics, joinMetrics, folder, sourceClock } = this.o;
    const row = csvRawRow(header, batch, r, source, unterminated);
    const check = checkRawRow(row, this.validateStream);
    if (!check.ok) {
      this.invalid.push(check.entry);
      metrics.addRejected(source, check.entry.reasons[0]?.reason ?? 'unknown');
      return;
    }
    const v = check.value;
    const track = songs.trackOf(v.track_id);
    if (track < 0) {
      this.unknown.push(unknownTrackEntry(source, row.line, v));
      metrics.addRejected(source, 'unknown_track');
      joinMetrics.unknownTracks++;
      return;
    }
    if (users !== undefined && !users.has(v.user_id)) joinMetrics.unknownUsers++;
    joinMetrics.joined++;
    let utc = fastListenUtc(v.listen_time, sourceClock);
    if (Number.isNaN(utc)) {
      utc = strictUtc({ listenTime: v.listen_time, source, line: row.line }, sourceClock);
    }
    folder.fold(v.user_id, track, utc);
    this.aggregated++;
  }
}
