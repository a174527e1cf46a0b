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

import { flatString } from '../internal/flat-string.js';
import type { SongRow } from '../types.js';
import { StringIndex, type StringIndexParts } from './internal/string-index.js';

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

/**
 * The strings of a songs table as UTF-16 code units on shared memory, for a
 * worker thread's copy: it decodes them only if it ever needs them. @internal
 */
export interface SharedSongStrings {
  /**
   * Track id `t` is `pool[idStart[t]..idStart[t + 1])` of the `track_id`
   * index: the ids are distinct, so its pool holds them back to back in order.
   */
  readonly idStart: Int32Array;
  /** Pair names back to back: name `p` is `nameUnits[nameStart[p]..nameStart[p + 1])`. */
  readonly nameUnits: Uint16Array;
  readonly nameStart: Int32Array;
}

function decodeAll(units: Uint16Array, start: Int32Array): string[] {
  const out = new Array<string>(start.length - 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = String.fromCharCode.apply(
      null,
      units.subarray(start[i]!, start[i + 1]!) as unknown as number[],
    );
  }
  return out;
}

/** Where each string starts when `strings` are written back to back (plus the end). */
function startsOf(strings: readonly string[]): Int32Array {
  const start = new Int32Array(new SharedArrayBuffer(4 * (strings.length + 1)));
  for (let i = 0; i < strings.length; i++) start[i + 1] = start[i]! + strings[i]!.length;
  return start;
}

/** Strings as {@link SharedSongStrings} parts. */
function encodeAll(strings: readonly string[]): { units: Uint16Array; start: Int32Array } {
  const start = startsOf(strings);
  const units = new Uint16Array(new SharedArrayBuffer(2 * start[strings.length]!));
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    const at = start[i]!;
    for (let c = 0; c < s.length; c++) units[at + c] = s.charCodeAt(c);
  }
  return { units, start };
}

/** The parts of a {@link SongsTable}. @internal */
export interface SongsTableParts {
  genres: string[];
  /** Track ids and pair names as strings (the building thread)… */
  trackIds?: string[];
  pairName?: string[];
  /** …or shared, decoded on first use (a worker thread's copy). */
  strings?: SharedSongStrings;
  pairStart: Int32Array;
  pairGenre: Int32Array;
  pairDuration: Float64Array;
  rows: number;
  duplicatePairs: number;
  /** The `track_id` index of another thread's copy of this table (shared memory). */
  index?: StringIndexParts;
  /** The track dictionary of another thread's copy (shared memory). */
  dictionary?: TrackDictionaryParts;
  /** Sizes, when they cannot be measured here (shared strings). */
  stats?: SongsTableStats;
}

/** A compact, read-only songs lookup table. Build it with {@link buildSongsTable}. */
export class SongsTable {
  /** Interned genre names. */
  readonly genres: readonly string[];
  /** Pair range start per track (length `tracks + 1`). */
  readonly pairStart: Int32Array;
  /** Genre number of each pair. */
  readonly pairGenre: Int32Array;
  /** `duration_ms` of each pair. */
  readonly pairDuration: Float64Array;
  /** Sizes, for the run summary. */
  readonly stats: SongsTableStats;
  #trackIds: string[] | undefined;
  #pairName: string[] | undefined;
  readonly #strings: SharedSongStrings | undefined;

  /** @internal Use {@link buildSongsTable} or {@link songsTableFromRows}. */
  constructor(parts: SongsTableParts) {
    if (
      parts.strings === undefined &&
      (parts.trackIds === undefined || parts.pairName === undefined)
    ) {
      throw new TypeError('SongsTable: give trackIds and pairName, or shared strings');
    }
    this.genres = parts.genres;
    this.#trackIds = parts.trackIds;
    this.#pairName = parts.pairName;
    this.#strings = parts.strings;
    this.pairStart = parts.pairStart;
    this.pairGenre = parts.pairGenre;
    this.pairDuration = parts.pairDuration;
    this.lookup =
      parts.index !== undefined
        ? StringIndex.fromParts(parts.index)
        : new StringIndex(parts.trackIds as string[]);
    if (parts.dictionary !== undefined) {
      this.#dictionary = new TrackDictionary(this, parts.dictionary);
    }
    this.stats = parts.stats ?? this.measure(parts.rows, parts.duplicatePairs);
  }

  private measure(rows: number, duplicatePairs: number): SongsTableStats {
    const trackIds = this.trackIds;
    const pairName = this.pairName;
    let stringBytes = 0;
    for (const s of trackIds) stringBytes += 16 + s.length * 2;
    for (const s of pairName) stringBytes += 16 + s.length * 2;
    for (const s of this.genres) stringBytes += 16 + s.length * 2;
    return {
      rows,
      duplicatePairs,
      tracks: trackIds.length,
      pairs: this.pairGenre.length,
      genres: this.genres.length,
      approxBytes:
        stringBytes +
        this.pairStart.byteLength +
        this.pairGenre.byteLength +
        this.pairDuration.byteLength +
        this.lookup.byteLength +
        // Array slots, 1 word each.
        (trackIds.length + pairName.length) * 8,
    };
  }

  /** Distinct track ids; index = interned track number. */
  get trackIds(): readonly string[] {
    this.#trackIds ??= decodeAll(this.lookup.parts.pool, this.#strings!.idStart);
    return this.#trackIds;
  }

  /** `track_name` of each pair (may be empty). */
  get pairName(): readonly string[] {
    this.#pairName ??= decodeAll(this.#strings!.nameUnits, this.#strings!.nameStart);
    return this.#pairName;
  }

  /** Number of distinct track ids. */
  get tracks(): number {
    return this.pairStart.length - 1;
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

  #shared: SharedSongStrings | undefined;

  /** The table's strings on shared memory, made once. @internal */
  sharedStrings(): SharedSongStrings {
    if (this.#strings !== undefined) return this.#strings;
    if (this.#shared === undefined) {
      const idStart = startsOf(this.trackIds);
      if (idStart[this.trackIds.length] !== this.lookup.parts.pool.length) {
        // Only a table with a repeated id could get here (the builder interns ids).
        throw new TypeError('SongsTable: track ids are not distinct');
      }
      const names = encodeAll(this.pairName);
      this.#shared = { idStart, nameUnits: names.units, nameStart: names.start };
    }
    return this.#shared;
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
    const trackIds = this.trackIds;
    const pairName = this.pairName;
    const pairEntry = new Int32Array(new SharedArrayBuffer(4 * pairs));
    // At most one entry per pair.
    const entryTrack = new Int32Array(pairs);
    const entryPair = new Int32Array(pairs);
    const names: string[] = [];
    let size = 0;
    let conflicts = false;
    for (let t = 0; t < trackIds.length; t++) {
      const first = size;
      const end = this.pairStart[t + 1]!;
      for (let p = this.pairStart[t]!; p < end; p++) {
        const name = pairName[p]!;
        let e = first;
        while (e < size && names[e] !== name) e++;
        if (e === size) {
          if (e > first) conflicts = true;
          entryTrack[size] = t;
          entryPair[size] = p;
          names.push(name);
          size++;
        }
        pairEntry[p] = e;
      }
    }
    const shared = (a: Int32Array) => {
      const out = new Int32Array(new SharedArrayBuffer(4 * size));
      out.set(a.subarray(0, size));
      return out;
    };
    this.#dictionary = new TrackDictionary(this, {
      size,
      pairEntry,
      entryTrack: shared(entryTrack),
      entryPair: shared(entryPair),
      conflicts,
    });
    return this.#dictionary;
  }
}

/** The arrays of a {@link TrackDictionary} (shared memory). @internal */
export interface TrackDictionaryParts {
  readonly size: number;
  readonly pairEntry: Int32Array;
  readonly entryTrack: Int32Array;
  readonly entryPair: Int32Array;
  readonly conflicts: boolean;
}

/**
 * Track entries of a {@link SongsTable} in KPI-state form: entry `e` is
 * (`trackIds[e]`, `trackNames[e]`), entries of one id are consecutive and
 * chained by `trackNext`; pair `p` of the table is entry `pairEntry[p]`.
 * The string arrays are made on first use (a worker thread that only folds
 * rows never needs them). Shared and never modified. @internal
 */
export class TrackDictionary {
  /** Number of entries. */
  readonly size: number;
  /** Entry of each pair of the table. */
  readonly pairEntry: Int32Array;
  /** Track number of each entry… */
  readonly entryTrack: Int32Array;
  /** …and the pair its name comes from. */
  readonly entryPair: Int32Array;
  /** Some id has entries with different names. */
  readonly conflicts: boolean;
  #ids: string[] | undefined;
  #names: string[] | undefined;
  #next: number[] | undefined;

  constructor(
    private readonly table: SongsTable,
    parts: TrackDictionaryParts,
  ) {
    this.size = parts.size;
    this.pairEntry = parts.pairEntry;
    this.entryTrack = parts.entryTrack;
    this.entryPair = parts.entryPair;
    this.conflicts = parts.conflicts;
  }

  /** The arrays, e.g. to send to another thread. */
  get parts(): TrackDictionaryParts {
    const { size, pairEntry, entryTrack, entryPair, conflicts } = this;
    return { size, pairEntry, entryTrack, entryPair, conflicts };
  }

  get trackIds(): readonly string[] {
    if (this.#ids === undefined) {
      const ids = this.table.trackIds;
      this.#ids = Array.from(this.entryTrack, (t) => ids[t]!);
    }
    return this.#ids;
  }

  get trackNames(): readonly string[] {
    if (this.#names === undefined) {
      const names = this.table.pairName;
      this.#names = Array.from(this.entryPair, (p) => names[p]!);
    }
    return this.#names;
  }

  get trackNext(): readonly number[] {
    if (this.#next === undefined) {
      const track = this.entryTrack;
      this.#next = Array.from(track, (t, e) =>
        e + 1 < track.length && track[e + 1] === t ? e + 1 : -1,
      );
    }
    return this.#next;
  }
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
