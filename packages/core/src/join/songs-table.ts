import { dictionaryFile } from '../aggregate/internal/kpi-dictionary-file.js';
import { sharedCopy } from '../internal/shared-memory.js';
import { StringIndex, type StringIndexParts } from './internal/string-index.js';
// The codec builds tables back; it calls into this module only at run time.
import { decodeTables, encodeTables } from './table-codec.js';
import { TrackDictionary, type TrackDictionaryParts } from './track-dictionary.js';
import type { UsersTable } from './users-table.js';

export { TrackDictionary, type TrackDictionaryParts } from './track-dictionary.js';

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
 * worker thread's copy: it decodes them only if it ever needs them.
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

/** The parts of a {@link SongsTable} (to rebuild it on a worker thread). */
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

  /**
   * The table (and optionally a users table with it) as bytes, e.g. to cache
   * lookup tables on disk between runs: {@link SongsTable.fromBytes} reads
   * them back with one copy of their arrays, where building the table again
   * parses, validates and interns every song row.
   */
  toBytes(users?: UsersTable): Uint8Array {
    return encodeTables(this, users);
  }

  /**
   * The tables of {@link SongsTable.toBytes} bytes, on fresh shared memory
   * (like a worker thread's copy); `users` when they were encoded with it.
   *
   * @throws PipelineError `TABLES_CORRUPT` for bytes that are not encoded tables.
   */
  static fromBytes(bytes: Uint8Array): { songs: SongsTable; users?: UsersTable } {
    return decodeTables(bytes);
  }

  /** Number of distinct track ids. */
  get tracks(): number {
    return this.pairStart.length - 1;
  }

  /** The interned number of `trackId`, or -1 when the track is unknown. */
  trackOf(trackId: string): number {
    return this.lookup.get(trackId);
  }

  /**
   * The interned numbers of `trackIds[0..n)` into `out[0..n)` (-1 for an
   * unknown track): {@link trackOf} for a whole batch, with the memory
   * latency of its rows overlapped.
   */
  tracksOf(trackIds: readonly string[], n: number, out: number[]): void {
    this.lookup.getAll(trackIds, n, out);
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
   * The stored form of the table's track dictionary, which KPI states of
   * format v2 reference by `id` (a content hash: a table with the same
   * tracks has the same id and bytes). Whoever stores such states stores
   * this once per id; reading them with another table needs these bytes
   * (`deserializeKpiState`'s `dictionaries`).
   */
  kpiTrackDictionary(): { readonly id: string; readonly bytes: Uint8Array } {
    return dictionaryFile(this.trackDictionary());
  }

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
    this.#dictionary = new TrackDictionary(this, {
      size,
      pairEntry,
      entryTrack: sharedCopy(entryTrack.subarray(0, size)),
      entryPair: sharedCopy(entryPair.subarray(0, size)),
      conflicts,
    });
    return this.#dictionary;
  }
}
