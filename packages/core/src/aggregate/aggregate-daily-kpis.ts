/**
 * The KPI aggregator (SPEC section 4): folds joined listens into a mergeable
 * {@link KpiState}, one cell per calendar date (in `timeZone`) × genre. A
 * listen of a track listed under k genres counts once in each.
 *
 * Hot path: no allocation per row except new cells/dictionary entries;
 * timestamps read once by validation; zone offsets cached per 15-minute bucket
 * ({@link ZoneClock}); genres and tracks mapped through typed arrays.
 */
import { z } from 'zod';
import { OptionsError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { JoinedBatch } from '../join/join-songs.js';
import type { SongsTable } from '../join/songs-table.js';
import { RunMetrics } from '../metrics.js';
import type { BatchSink } from '../types.js';
import { createKpiState, type KpiCell, KpiState } from './kpi-state.js';
import { ZoneClock } from './zone.js';

/** Options of {@link aggregateDailyKpis}. */
export const aggregateDailyKpisOptionsSchema = z.object({
  /** IANA zone whose calendar date buckets each listen. Default `'UTC'`. */
  timeZone: z.string().default('UTC'),
  /** IANA zone in which zone-less `listen_time`s are read. Default `'UTC'`. */
  sourceTimeZone: z.string().default('UTC'),
  /** `'exact'` (default) or `'hll'` (HyperLogLog, ≈1.6 % std error at precision 12). */
  uniqueListeners: z.enum(['exact', 'hll']).default('exact'),
  /** HyperLogLog precision, 4–16. Default 12. */
  hllPrecision: z.number().int().min(4).max(16).default(12),
  /** A state to fold into (modified in place) instead of a new one. */
  state: z
    .custom<KpiState>((v) => v instanceof KpiState, {
      message: 'Expected `state` to be a KpiState',
    })
    .optional(),
  /** Run counters (rows aggregated, per source); default the pipeline's. */
  metrics: z.instanceof(RunMetrics).optional(),
});

/** Options of {@link aggregateDailyKpis}. */
export type AggregateDailyKpisOptions = z.input<typeof aggregateDailyKpisOptionsSchema>;

/**
 * Creates the aggregating sink: it folds the joined batches (the output of
 * `joinSongs`) into one state and resolves to it once the source ends.
 *
 * @throws OptionsError for invalid options (including unknown time zones), before any I/O.
 */
export function aggregateDailyKpis(
  options: AggregateDailyKpisOptions = {},
): BatchSink<JoinedBatch, KpiState> {
  const opts = parseOptions(aggregateDailyKpisOptionsSchema, options, 'aggregateDailyKpis');
  // Validate zones now (throws OptionsError) so bad options fail before I/O.
  new ZoneClock(opts.timeZone);
  new ZoneClock(opts.sourceTimeZone);
  if (opts.state !== undefined && opts.state.mode !== opts.uniqueListeners) {
    throw new OptionsError(
      `aggregateDailyKpis: invalid options — \`state\`: counts unique listeners as '${opts.state.mode}' but \`uniqueListeners\` is '${opts.uniqueListeners}'`,
    );
  }
  return {
    name: 'aggregate',
    open(context) {
      const clock = new ZoneClock(opts.timeZone);
      const sourceClock = new ZoneClock(opts.sourceTimeZone);
      const state =
        opts.state ??
        createKpiState({ uniqueListeners: opts.uniqueListeners, hllPrecision: opts.hllPrecision });
      const metrics = opts.metrics ?? context.metrics;
      const folders = new Map<SongsTable, KpiFolder>();
      let folder: KpiFolder | undefined;
      return {
        process(batch) {
          if (folder === undefined || folder.songs !== batch.songs) {
            folder = folders.get(batch.songs);
            if (folder === undefined) {
              folder = new KpiFolder(state, batch.songs, clock);
              folders.set(batch.songs, folder);
            }
          }
          folder.foldBatch(batch, sourceClock);
          metrics?.addAggregated(batch.source, batch.length);
        },
        finish: () => state,
      };
    },
  };
}

/** Packed pairs of tables whose numbering states adopted (read only). */
const adoptedPairs = new WeakMap<SongsTable, Float64Array>();

/** `[table genre, duration_ms, entry (or -1: intern on first use)]` per pair of `songs`. */
function packPairs(songs: SongsTable, entries: Int32Array | undefined): Float64Array {
  const n = songs.pairGenre.length;
  const pairs = new Float64Array(3 * n);
  for (let p = 0; p < n; p++) {
    pairs[3 * p] = songs.pairGenre[p]!;
    pairs[3 * p + 1] = songs.pairDuration[p]!;
    pairs[3 * p + 2] = entries === undefined ? -1 : entries[p]!;
  }
  return pairs;
}

/** Folds listens of tracks of one songs table into one state. */
class KpiFolder {
  /**
   * Per pair of the songs table, packed so that one cache line serves a row:
   * `[table genre, duration_ms, state track entry or -1]`.
   */
  private readonly pairs: Float64Array;
  /** Table genre → state genre, or -1 (small: stays in cache). */
  private readonly genreMap: Int32Array;
  private lastDay = Number.NaN;
  private cells: (KpiCell | undefined)[] = [];

  constructor(
    readonly state: KpiState,
    readonly songs: SongsTable,
    /** The zone of the KPI date. */
    private readonly clock: ZoneClock,
  ) {
    // A fresh state takes the table's numbering of track entries as is.
    const dictionary = songs.trackDictionary();
    const adopted = state.days.size === 0 && state.adoptTracks(dictionary);
    // With the table's numbering the packed pairs never change: one array per
    // table serves every state (a thread folds many objects).
    const cached = adopted ? adoptedPairs.get(songs) : undefined;
    this.pairs = cached ?? packPairs(songs, adopted ? dictionary.pairEntry : undefined);
    if (adopted && cached === undefined) adoptedPairs.set(songs, this.pairs);
    this.genreMap = new Int32Array(songs.genres.length).fill(-1);
  }

  /**
   * Counts the listens of a joined batch, in two passes: the first finds
   * each row's date and touches its pairs (one random cache line a row,
   * with few instructions between them, so the misses overlap); the second
   * counts each listen in each genre of its track.
   */
  foldBatch(batch: JoinedBatch, sourceClock: ZoneClock): void {
    const { listenAt, listenZoned, tracks } = batch;
    const userIds = batch.values.user_id;
    const n = batch.length;
    if (this.rowDays.length < n) this.rowDays = new Int32Array(2 * n);
    const rowDays = this.rowDays;
    const clock = this.clock;
    const pairs = this.pairs;
    const pairStart = this.songs.pairStart;
    let touched = 0;
    for (let r = 0; r < n; r++) {
      const at = listenAt[r]!;
      rowDays[r] = clock.dayOf(listenZoned[r] === 1 ? at : sourceClock.wallToUtc(at));
      touched += pairs[3 * pairStart[tracks[r]!]!]!;
    }
    this.touched = touched;
    for (let r = 0; r < n; r++) this.fold(userIds[r]!, tracks[r]!, rowDays[r]!);
  }

  /** Scratch of {@link foldBatch}: the date of each row. */
  private rowDays = new Int32Array(0);
  /** What the touching loads of {@link foldBatch} read (kept so they are not optimised away). */
  touched = 0;

  /** The cells of `day`, from a small cache of recent days (a file's rows alternate between a few). */
  private cellsOf(day: number): (KpiCell | undefined)[] {
    if (day === this.lastDay) return this.cells;
    let cells: (KpiCell | undefined)[];
    if (day === this.otherDay) cells = this.otherCells;
    else cells = this.state.dayCells(day);
    this.otherDay = this.lastDay;
    this.otherCells = this.cells;
    this.lastDay = day;
    this.cells = cells;
    return cells;
  }

  private otherDay = Number.NaN;
  private otherCells: (KpiCell | undefined)[] = [];

  /** Counts one listen of track number `track` by `userId` on `day`, in each genre of the track. */
  private fold(userId: number, track: number, day: number): void {
    const state = this.state;
    const cells = this.cellsOf(day);
    const pairs = this.pairs;
    const genreMap = this.genreMap;
    const pairStart = this.songs.pairStart;
    const end = pairStart[track + 1]!;
    for (let p = pairStart[track]!; p < end; p++) {
      const at = 3 * p;
      const sg = pairs[at]!;
      let g = genreMap[sg]!;
      if (g < 0) g = this.internGenre(sg);
      let cell = cells[g];
      if (cell === undefined) {
        cell = state.newCell();
        cells[g] = cell;
      } else if (cell.owner !== state) {
        cell = state.ownCell(cells, g);
      }
      cell.listens++;
      cell.totalMs += pairs[at + 1]!;
      cell.users.add(userId);
      let st = pairs[at + 2]!;
      if (st < 0) st = this.internTrack(track, p);
      cell.tracks.add(st, 1);
    }
  }

  private internGenre(sg: number): number {
    const g = this.state.internGenre(this.songs.genres[sg]!);
    this.genreMap[sg] = g;
    return g;
  }

  private internTrack(track: number, p: number): number {
    const songs = this.songs;
    const st = this.state.internTrack(songs.trackIds[track]!, songs.pairName[p]!);
    this.pairs[3 * p + 2] = st;
    return st;
  }
}
