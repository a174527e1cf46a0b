/**
 * Folds one joined listen into a {@link KpiState}: the per-row core shared by
 * `aggregateDailyKpis` and the fused CSV path of `aggregateStreamFile`.
 * Genres and (track, genre) pairs of the songs table map to the state's
 * numbers through typed arrays, so a row costs no string work and no
 * allocation (beyond new cells and dictionary entries).
 */
import type { KpiCell, KpiState } from '../kpi-state.js';
import type { SongsTable } from '../songs-table.js';
import type { ZoneClock } from '../zone.js';

/** Folds listens of tracks of one songs table into one state. */
export class KpiFolder {
  private readonly genreMap: Int32Array;
  private readonly pairMap: Int32Array;
  private lastDay = Number.NaN;
  private cells: (KpiCell | undefined)[] = [];

  constructor(
    readonly state: KpiState,
    readonly songs: SongsTable,
    /** The zone of the KPI date. */
    private readonly clock: ZoneClock,
  ) {
    this.genreMap = new Int32Array(songs.genres.length).fill(-1);
    // A fresh state takes the table's numbering of track entries as is.
    const dictionary = songs.trackDictionary();
    this.pairMap =
      state.days.size === 0 && state.adoptTracks(dictionary)
        ? dictionary.pairEntry
        : new Int32Array(songs.pairGenre.length).fill(-1);
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
    const songs = this.songs;
    const { pairStart, pairGenre, pairDuration } = songs;
    const genreMap = this.genreMap;
    const pairMap = this.pairMap;
    const end = pairStart[track + 1]!;
    for (let p = pairStart[track]!; p < end; p++) {
      const sg = pairGenre[p]!;
      let g = genreMap[sg]!;
      if (g < 0) {
        g = state.internGenre(songs.genres[sg]!);
        genreMap[sg] = g;
      }
      let cell = cells[g];
      if (cell === undefined) {
        cell = state.newCell();
        cells[g] = cell;
      } else if (cell.owner !== state) {
        cell = state.ownCell(cells, g);
      }
      cell.listens++;
      cell.totalMs += pairDuration[p]!;
      cell.users.add(userId);
      let st = pairMap[p]!;
      if (st < 0) {
        st = state.internTrack(songs.trackIds[track]!, songs.pairName[p]!);
        pairMap[p] = st;
      }
      cell.tracks.add(st, 1);
    }
  }
}
