/**
 * The KPI aggregator (SPEC section 4): folds joined listens into a mergeable
 * {@link KpiState}, one cell per calendar date (in `timeZone`) × genre. A
 * listen of a track listed under k genres counts once in each.
 *
 * Hot path: no allocation per row except new cells/dictionary entries;
 * timestamps read once by validation; zone offsets cached per 15-minute bucket
 * ({@link ZoneClock}); genres and tracks mapped through typed arrays. A row
 * touches little memory: its listen is counted per track of the songs table,
 * densely, and its listener appended to a short buffer per genre; both reach
 * the cells of the track's genres in bulk ({@link DayTrackCounts}), before
 * the state is handed on.
 */
import { z } from 'zod';
import { OptionsError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { JoinedBatch } from '../join/join-songs.js';
import type { SongsTable } from '../join/songs-table.js';
import { RunMetrics } from '../metrics.js';
import type { BatchSink } from '../types.js';
import { DaySlot, DayTrackCounts, FULL_COUNT } from './internal/day-track-counts.js';
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
        finish() {
          for (const f of folders.values()) f.finish();
          return state;
        },
      };
    },
  };
}

/** Per songs table: {@link genreOfTrack}. */
const trackGenres = new WeakMap<SongsTable, Int16Array | Int32Array>();

/**
 * The table genre of each track of `songs` listed under one genre, -1 for a
 * track under several: most rows then read one array, not three (of two
 * bytes a track when the genres allow, to stay in cache).
 */
function genreOfTrack(songs: SongsTable): Int16Array | Int32Array {
  let genres = trackGenres.get(songs);
  if (genres === undefined) {
    const { pairStart, pairGenre } = songs;
    const tracks = pairStart.length - 1;
    genres = songs.genres.length <= 0x7fff ? new Int16Array(tracks) : new Int32Array(tracks);
    for (let t = 0; t < genres.length; t++) {
      genres[t] = pairStart[t + 1]! - pairStart[t]! === 1 ? pairGenre[pairStart[t]!]! : -1;
    }
    trackGenres.set(songs, genres);
  }
  return genres;
}

/** Folds listens of tracks of one songs table into one state. */
class KpiFolder {
  /**
   * State track entry of each pair of the songs table, or -1 (interned on
   * first use); a state that adopted the table's numbering reads the
   * dictionary's array itself.
   */
  private readonly entries: Int32Array;
  /** Table genre → state genre, or -1 (small: stays in cache). */
  private readonly genreMap: Int32Array;
  /** Listens and listeners per date, not yet in the cells. */
  private readonly counts: DayTrackCounts;
  /** See {@link genreOfTrack}. */
  private readonly trackGenre: Int16Array | Int32Array;

  constructor(
    readonly state: KpiState,
    readonly songs: SongsTable,
    /** The zone of the KPI date. */
    private readonly clock: ZoneClock,
  ) {
    // A fresh state takes the table's numbering of track entries as is.
    const dictionary = songs.trackDictionary();
    const adopted = state.days.size === 0 && state.adoptTracks(dictionary);
    this.entries = adopted ? dictionary.pairEntry : new Int32Array(songs.pairGenre.length).fill(-1);
    this.genreMap = new Int32Array(songs.genres.length).fill(-1);
    this.trackGenre = genreOfTrack(songs);
    this.counts = new DayTrackCounts(
      songs.pairStart.length - 1,
      songs.genres.length,
      (slot) => this.drain(slot),
      (day) => state.dayCells(day),
    );
  }

  /**
   * Counts the listens of a joined batch: each row's listen goes into its
   * date's dense track counts, and its listener into its date's buffer of
   * each genre of its track (both moved into the cells by {@link drain}).
   */
  foldBatch(batch: JoinedBatch, sourceClock: ZoneClock): void {
    const { listenAt, listenZoned, tracks } = batch;
    const userIds = batch.values.user_id;
    const n = batch.length;
    const clock = this.clock;
    const genreMap = this.genreMap;
    const trackGenre = this.trackGenre;
    const { pairStart, pairGenre } = this.songs;
    let day = Number.NaN;
    let slot = NO_SLOT;
    let { counts, users, userCount, perGenre } = slot;
    for (let r = 0; r < n; r++) {
      const at = listenAt[r]!;
      const d = clock.dayOf(listenZoned[r] === 1 ? at : sourceClock.wallToUtc(at));
      if (d !== day) {
        slot = this.counts.slotOf(d);
        day = d;
        ({ counts, users, userCount, perGenre } = slot);
      }
      const track = tracks[r]!;
      let c = counts[track]!;
      if (c === 0) slot.touch(track);
      else if (c === FULL_COUNT) {
        c = slot.carry(track);
        if (c < 0) {
          this.drain(slot);
          slot.touch(track);
          c = 0;
        }
      }
      counts[track] = c + 1;
      const userId = userIds[r]!;
      // The track's pairs p..end, of genres sg = pairGenre[p]…
      let sg = trackGenre[track]!;
      let p = 0;
      let end = 1;
      if (sg < 0) {
        p = pairStart[track]!;
        end = pairStart[track + 1]!;
        sg = pairGenre[p]!;
      }
      for (;;) {
        // Genres are numbered in the order rows first meet them.
        if (genreMap[sg]! < 0) this.internGenre(sg);
        const k = userCount[sg]! + 1;
        users[sg * perGenre + k - 1] = userId;
        userCount[sg] = k;
        if (k === perGenre) this.flushUsers(slot, sg);
        if (++p >= end) break;
        sg = pairGenre[p]!;
      }
    }
  }

  /** Moves everything read into the cells: the state is then complete. */
  finish(): void {
    this.counts.drainAll();
  }

  /** Cell `g` of `cells` (of this state), created or copied first if need be. */
  private cellOf(cells: (KpiCell | undefined)[], g: number): KpiCell {
    const state = this.state;
    const cell = cells[g];
    if (cell === undefined) {
      const fresh = state.newCell();
      cells[g] = fresh;
      return fresh;
    }
    return cell.owner === state ? cell : state.ownCell(cells, g);
  }

  /** Adds the buffered listeners of table genre `sg` of `slot` to their cell. */
  private flushUsers(slot: DaySlot, sg: number): void {
    const set = this.cellOf(slot.cells, this.genreMap[sg]!).users;
    const users = slot.users;
    const from = sg * slot.perGenre;
    const to = from + slot.userCount[sg]!;
    for (let i = from; i < to; i++) set.add(users[i]!);
    slot.userCount[sg] = 0;
  }

  /** Moves what `slot` holds into the cells of its date, and clears it. */
  private drain(slot: DaySlot): void {
    const userCount = slot.userCount;
    for (let sg = 0; sg < userCount.length; sg++) if (userCount[sg]! > 0) this.flushUsers(slot, sg);
    const cells = slot.cells;
    const touched = slot.touched;
    const { pairStart, pairGenre, pairDuration } = this.songs;
    const entries = this.entries;
    const genreMap = this.genreMap;
    // An empty track map gets room for all its tracks at once, not by doubling.
    const pairs = new Int32Array(userCount.length); // tracks per table genre
    for (let i = 0; i < slot.length; i++) {
      const track = touched[i]!;
      for (let p = pairStart[track]!; p < pairStart[track + 1]!; p++) pairs[pairGenre[p]!]!++;
    }
    for (let sg = 0; sg < pairs.length; sg++) {
      if (pairs[sg]! === 0) continue;
      const tracks = this.cellOf(cells, genreMap[sg]!).tracks;
      if (tracks.size === 0) tracks.reserve(pairs[sg]!);
    }
    for (let i = 0; i < slot.length; i++) {
      const track = touched[i]!;
      const c = slot.take(track);
      const end = pairStart[track + 1]!;
      for (let p = pairStart[track]!; p < end; p++) {
        const cell = this.cellOf(cells, genreMap[pairGenre[p]!]!);
        cell.listens += c;
        cell.totalMs += c * pairDuration[p]!;
        let st = entries[p]!;
        if (st < 0) st = this.internTrack(track, p);
        cell.tracks.add(st, c);
      }
    }
    slot.length = 0;
  }

  private internGenre(sg: number): number {
    const g = this.state.internGenre(this.songs.genres[sg]!);
    this.genreMap[sg] = g;
    return g;
  }

  private internTrack(track: number, p: number): number {
    const songs = this.songs;
    const st = this.state.internTrack(songs.trackIds[track]!, songs.pairName[p]!);
    this.entries[p] = st;
    return st;
  }
}

/** The slot before a batch's first row. */
const NO_SLOT = new DaySlot(0, 0);
