/** Building a {@link SongsTable} from song rows in file order. */
import { flatString } from '../internal/flat-string.js';
import type { SongRow } from '../types.js';
import { SongsTable } from './songs-table.js';

/**
 * Accumulates song rows in file order; `finish()` freezes the table. Pairs
 * are kept in a few flat arrays (insertion order, chained per track) rather
 * than small arrays per track: a big songs file leaves little garbage.
 */
export class SongsTableBuilder {
  private readonly genreIndex = new Map<string, number>();
  private readonly genres: string[] = [];
  private readonly trackIndex = new Map<string, number>();
  private readonly trackIds: string[] = [];
  /** Per track: its first pair, or -1. */
  private readonly trackFirst: number[] = [];
  /** Per track: its last pair (where the chain grows). */
  private readonly trackLast: number[] = [];
  /** Per pair, in first-seen order: track, genre, next pair of the same track (-1), duration, name. */
  private readonly pairTrack: number[] = [];
  private readonly pairGenre: number[] = [];
  private readonly pairNext: number[] = [];
  private readonly pairDuration: number[] = [];
  private readonly pairName: string[] = [];
  private lastGenre: string | undefined;
  private lastGenreNumber = 0;
  private rows = 0;
  private duplicatePairs = 0;

  /** Adds one song row (rows must be added in file order). */
  add(row: SongRow): void {
    this.addSong(row.track_id, row.track_name, row.duration_ms, row.track_genre);
  }

  /** Adds one song from its validated fields (rows must be added in file order). */
  addSong(trackId: string, trackName: string, durationMs: number, trackGenre: string): void {
    this.rows++;
    // Song files are usually grouped by genre: skip the map for a repeat.
    let g = trackGenre === this.lastGenre ? this.lastGenreNumber : this.genreIndex.get(trackGenre);
    if (g === undefined) {
      g = this.genres.length;
      this.genres.push(flatString(trackGenre));
      this.genreIndex.set(trackGenre, g);
    }
    this.lastGenre = trackGenre;
    this.lastGenreNumber = g;
    let t = this.trackIndex.get(trackId);
    if (t === undefined) {
      t = this.trackIds.length;
      const id = flatString(trackId);
      this.trackIds.push(id);
      this.trackIndex.set(id, t);
      this.trackFirst.push(-1);
      this.trackLast.push(-1);
    } else {
      for (let p = this.trackFirst[t]!; p >= 0; p = this.pairNext[p]!) {
        if (this.pairGenre[p] === g) {
          this.duplicatePairs++;
          return;
        }
      }
    }
    const p = this.pairTrack.length;
    this.pairTrack.push(t);
    this.pairGenre.push(g);
    this.pairNext.push(-1);
    this.pairDuration.push(durationMs);
    this.pairName.push(flatString(trackName));
    if (this.trackFirst[t] === -1) this.trackFirst[t] = p;
    else this.pairNext[this.trackLast[t]!] = p;
    this.trackLast[t] = p;
  }

  /** Builds the table. The builder must not be used afterwards. */
  finish(): SongsTable {
    const tracks = this.trackIds.length;
    const pairs = this.pairTrack.length;
    // On shared memory: worker threads read the same arrays, not copies.
    const pairStart = new Int32Array(new SharedArrayBuffer(4 * (tracks + 1)));
    const pairGenre = new Int32Array(new SharedArrayBuffer(4 * pairs));
    const pairDuration = new Float64Array(new SharedArrayBuffer(8 * pairs));
    const pairName: string[] = new Array<string>(pairs);
    // The pairs of each track, together, in first-seen order.
    let at = 0;
    for (let t = 0; t < tracks; t++) {
      pairStart[t] = at;
      for (let p = this.trackFirst[t]!; p >= 0; p = this.pairNext[p]!) {
        pairGenre[at] = this.pairGenre[p]!;
        pairDuration[at] = this.pairDuration[p]!;
        pairName[at] = this.pairName[p]!;
        at++;
      }
    }
    pairStart[tracks] = at;
    return new SongsTable({
      genres: this.genres,
      trackIds: this.trackIds,
      pairStart,
      pairGenre,
      pairDuration,
      pairName,
      rows: this.rows,
      duplicatePairs: this.duplicatePairs,
    });
  }
}

/** Builds a {@link SongsTable} from rows already in memory, in file order. */
export function songsTableFromRows(rows: Iterable<SongRow>): SongsTable {
  const builder = new SongsTableBuilder();
  for (const row of rows) builder.add(row);
  return builder.finish();
}
