/**
 * The songs lookup table for the join (SPEC section 4): `track_id` → every
 * genre it is listed under, each (track, genre) pair with its own name and
 * duration. Duplicate (`track_id`, `track_genre`) rows are collapsed and the
 * FIRST row in file order wins for name and duration.
 *
 * Layout: track ids and genres are interned; pairs are stored in CSR form
 * (`pairStart[t]..pairStart[t+1]` are the pairs of track `t`) in typed
 * arrays, so a join costs one `Map` lookup and the fan-out is an index range.
 */
import { flatString } from './internal/flat-string.js';
import { StringIndex, type StringIndexParts } from './internal/string-index.js';
import type { Batch, SongRow, ValidRow } from './types.js';

/** Sizes of a loaded {@link SongsTable}, for the run summary. */
export interface SongsTableStats {
  /** Song rows read. */
  readonly rows: number;
  /** Rows that repeated an already seen (`track_id`, `track_genre`) pair. */
  readonly duplicatePairs: number;
  /** Distinct `track_id`s. */
  readonly tracks: number;
  /** Distinct (`track_id`, `track_genre`) pairs. */
  readonly pairs: number;
  /** Distinct genres. */
  readonly genres: number;
  /** Approximate heap bytes held by the table (typed arrays + strings + map). */
  readonly approxBytes: number;
}

/** A compact, read-only songs lookup table. Build it with {@link buildSongsTable}. */
export class SongsTable {
  /** Interned genre names. */
  readonly genres: readonly string[];
  /** Distinct track ids; index = interned track number. */
  readonly trackIds: readonly string[];
  /** Pair range start per track (length `tracks + 1`). */
  readonly pairStart: Int32Array;
  /** Genre number of each pair. */
  readonly pairGenre: Int32Array;
  /** `duration_ms` of each pair. */
  readonly pairDuration: Float64Array;
  /** `track_name` of each pair (may be empty). */
  readonly pairName: readonly string[];
  /** Sizes, for the run summary. */
  readonly stats: SongsTableStats;

  /** @internal Use {@link buildSongsTable} or {@link songsTableFromRows}. */
  constructor(parts: {
    genres: string[];
    trackIds: string[];
    pairStart: Int32Array;
    pairGenre: Int32Array;
    pairDuration: Float64Array;
    pairName: string[];
    rows: number;
    duplicatePairs: number;
    /** The `track_id` index of another thread's copy of this table (shared memory). */
    index?: StringIndexParts;
  }) {
    this.genres = parts.genres;
    this.trackIds = parts.trackIds;
    this.pairStart = parts.pairStart;
    this.pairGenre = parts.pairGenre;
    this.pairDuration = parts.pairDuration;
    this.pairName = parts.pairName;
    this.lookup =
      parts.index === undefined
        ? new StringIndex(parts.trackIds)
        : StringIndex.fromParts(parts.index);
    let stringBytes = 0;
    for (const s of parts.trackIds) stringBytes += 16 + s.length * 2;
    for (const s of parts.pairName) stringBytes += 16 + s.length * 2;
    for (const s of parts.genres) stringBytes += 16 + s.length * 2;
    this.stats = {
      rows: parts.rows,
      duplicatePairs: parts.duplicatePairs,
      tracks: parts.trackIds.length,
      pairs: parts.pairGenre.length,
      genres: parts.genres.length,
      approxBytes:
        stringBytes +
        parts.pairStart.byteLength +
        parts.pairGenre.byteLength +
        parts.pairDuration.byteLength +
        this.lookup.byteLength +
        // Array slots, 1 word each.
        (parts.trackIds.length + parts.pairName.length) * 8,
    };
  }

  /** The interned number of `trackId`, or -1 when the track is unknown. */
  trackOf(trackId: string): number {
    return this.lookup.get(trackId);
  }

  /** `track_id` → track number, laid out for the hot lookup. */
  private readonly lookup: StringIndex;

  /** The `track_id` index's arrays (shared memory: another thread can use them as they are). @internal */
  get indexParts(): StringIndexParts {
    return this.lookup.parts;
  }

  #dictionary: TrackDictionary | undefined;

  /**
   * The distinct (`track_id`, `track_name`) entries of the table, numbered
   * once and shared by every KPI state built from it (so states need no
   * interning and merge without string work). @internal
   */
  trackDictionary(): TrackDictionary {
    if (this.#dictionary !== undefined) return this.#dictionary;
    const pairs = this.pairGenre.length;
    const pairEntry = new Int32Array(new SharedArrayBuffer(4 * pairs));
    const trackIds: string[] = [];
    const trackNames: string[] = [];
    const trackNext: number[] = [];
    let conflicts = false;
    for (let t = 0; t < this.trackIds.length; t++) {
      const first = trackIds.length;
      const end = this.pairStart[t + 1]!;
      for (let p = this.pairStart[t]!; p < end; p++) {
        const name = this.pairName[p]!;
        let e = first;
        while (e < trackIds.length && trackNames[e] !== name) e++;
        if (e === trackIds.length) {
          if (e > first) {
            trackNext[e - 1] = e;
            conflicts = true;
          }
          trackIds.push(this.trackIds[t]!);
          trackNames.push(name);
          trackNext.push(-1);
        }
        pairEntry[p] = e;
      }
    }
    this.#dictionary = { trackIds, trackNames, trackNext, pairEntry, conflicts };
    return this.#dictionary;
  }
}

/**
 * Track entries of a {@link SongsTable} in KPI-state form: entry `e` is
 * (`trackIds[e]`, `trackNames[e]`), entries of one id are consecutive and
 * chained by `trackNext`; pair `p` of the table is entry `pairEntry[p]`.
 * Shared and never modified. @internal
 */
export interface TrackDictionary {
  readonly trackIds: readonly string[];
  readonly trackNames: readonly string[];
  readonly trackNext: readonly number[];
  readonly pairEntry: Int32Array;
  /** Some id has entries with different names. */
  readonly conflicts: boolean;
}

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
    this.rows++;
    // Song files are usually grouped by genre: skip the map for a repeat.
    let g =
      row.track_genre === this.lastGenre
        ? this.lastGenreNumber
        : this.genreIndex.get(row.track_genre);
    if (g === undefined) {
      g = this.genres.length;
      this.genres.push(flatString(row.track_genre));
      this.genreIndex.set(row.track_genre, g);
    }
    this.lastGenre = row.track_genre;
    this.lastGenreNumber = g;
    let t = this.trackIndex.get(row.track_id);
    if (t === undefined) {
      t = this.trackIds.length;
      const id = flatString(row.track_id);
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
    this.pairDuration.push(row.duration_ms);
    this.pairName.push(flatString(row.track_name));
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

/**
 * Builds a {@link SongsTable} by streaming validated song batches (e.g. the
 * output of the parse → validate stages over the songs file). Batches must
 * arrive in file order. Honours `signal` between batches.
 */
export async function buildSongsTable(
  source: AsyncIterable<Batch<ValidRow<SongRow>>> | Iterable<Batch<ValidRow<SongRow>>>,
  options: { readonly signal?: AbortSignal } = {},
): Promise<SongsTable> {
  const builder = new SongsTableBuilder();
  for await (const batch of source) {
    options.signal?.throwIfAborted();
    for (let i = 0; i < batch.length; i++) builder.add(batch[i]!.value);
  }
  options.signal?.throwIfAborted();
  return builder.finish();
}
