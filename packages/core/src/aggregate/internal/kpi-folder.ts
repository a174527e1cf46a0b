/**
 * Folds one joined listen into a {@link KpiState}: the per-row core shared by
 * `aggregateDailyKpis` and the fused CSV path of `aggregateStreamFile`.
 * Genres and (track, genre) pairs of the songs table map to the state's
 * numbers through typed arrays, so a row costs no string work and no
 * allocation (beyond new cells and dictionary entries).
 */

import type { SongsTable } from '../../join/songs-table.js';
import type { KpiCell, KpiState } from '../kpi-state.js';
import type { ZoneClock } from '../zone.js';

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
export class KpiFolder {
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

  /** Counts one listen of track number `track` by `userId` at instant `utc`, in each genre of the track. */
  fold(userId: number, track: number, utc: number): void {
    const state = this.state;
    const day = this.clock.dayOf(utc);
    if (day !== this.lastDay) {
      this.cells = state.dayCells(day);
      this.lastDay = day;
    }
    const cells = this.cells;
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
