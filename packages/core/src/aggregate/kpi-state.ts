/**
 * Mergeable KPI state (SPEC sections 4 and 6): per date × genre the listen
 * count, the distinct listeners, the total listening time and per-track
 * listen counts. Memory grows with distinct keys, not rows.
 *
 * A state is self-contained: it interns its own genres and tracks (a track
 * entry is a (`track_id`, `track_name`) pair, because SPEC section 4 takes the
 * name from the first songs row of each (track, genre) pair). States are
 * treated as immutable once built: {@link mergeKpiStates} and
 * {@link pickKpiDates} return new states and never modify their inputs
 * (`pickKpiDates` shares cells with its input).
 *
 * Serialized format v1 (little-endian, integers as unsigned LEB128 varints):
 * `"SKPI"`, version u8 = 1, mode u8 (0 exact, 1 hll), hll precision u8,
 * genres (count, UTF-8 strings), tracks (count, id/name string pairs), days
 * (count; per day: zig-zag day number, cell count; per cell: genre, listens,
 * total ms, users — exact: count + ascending deltas; hll: raw registers —,
 * track count, (track, listens)…), then CRC-32 of everything before it.
 * Format v2 (on request, for a state whose tracks are all its songs table's)
 * references the table's stored track dictionary: version u8 = 2, the
 * dictionary id (16 bytes, `SongsTable.kpiTrackDictionary`) after the
 * precision, and as tracks the count of used entries and their positions
 * in the dictionary's canonical order (id, then name, by code points),
 * ascending, each as the gap to the previous minus one. The rest is v1's.
 * Both are canonical (dictionaries and keys sorted): equal states (and in
 * v2 the same dictionary) serialize to equal bytes.
 */

import { PipelineError } from '../errors.js';
import type { TrackDictionary } from '../join/songs-table.js';
import { type HyperLogLog as Hll, HyperLogLog } from './hll.js';
import { CountMap } from './internal/kpi-count-map.js';
import { UserIdSet } from './internal/kpi-user-set.js';
import { referencedDictionaryId } from './kpi-codec.js';

/** How `unique_listeners` is counted: exactly (default) or with HyperLogLog. */
export type UniqueListenersMode = 'exact' | 'hll';

/** The aggregates of one date × genre (read by the codec and the finalizer). */
export class KpiCell {
  /** Number of listens. */
  listens = 0;
  /** Sum of `duration_ms` over the listens. */
  totalMs = 0;
  /** Distinct user ids (exact) or a sketch of them (hll). */
  readonly users: UserIdSet | Hll;
  /** Listens per interned track entry. */
  readonly tracks: CountMap;
  /**
   * The state that may modify this cell in place; any other state (or any
   * state, when undefined: the cell is shared) copies it first.
   */
  owner: KpiState | undefined;

  constructor(users: UserIdSet | Hll, tracks = new CountMap(), owner?: KpiState) {
    this.users = users;
    this.tracks = tracks;
    this.owner = owner;
  }
}

/** Aggregated KPI state. Build with `aggregateDailyKpis`, combine with {@link mergeKpiStates}. */
export class KpiState {
  /** Unique-listener counting mode. */
  readonly mode: UniqueListenersMode;
  /** HyperLogLog precision (meaningful in `hll` mode). */
  readonly hllPrecision: number;
  /** Interned genre names. */
  readonly genres: string[] = [];
  #ids: readonly string[] | undefined = [];
  #names: readonly string[] | undefined = [];
  #next: readonly number[] | undefined = [];
  /**
   * Interned track entries: ids… (may be shared with other states: read
   * only). Those of an adopted songs dictionary are fetched on first use: a
   * worker thread that only folds rows never builds its strings.
   */
  get trackIds(): readonly string[] {
    this.#ids ??= (this.origin as TrackDictionary).trackIds;
    return this.#ids;
  }
  set trackIds(ids: readonly string[]) {
    this.#ids = ids;
  }
  /** …and their names. */
  get trackNames(): readonly string[] {
    this.#names ??= (this.origin as TrackDictionary).trackNames;
    return this.#names;
  }
  set trackNames(names: readonly string[]) {
    this.#names = names;
  }
  /** Number of track entries (without fetching an adopted dictionary's strings). */
  get trackCount(): number {
    return this.#ids?.length ?? this.origin?.size ?? 0;
  }
  /** Day number (days since 1970-01-01) → cells indexed by genre number. */
  readonly days = new Map<number, (KpiCell | undefined)[]>();
  /** True when some track id has entries with different names (see finalize). */
  trackNameConflicts = false;
  private genreIndex = new Map<string, number>();
  /**
   * Track id → its first entry; further entries with that id chain through
   * `trackNext`. Built on first need (states built from a songs table never
   * intern by string).
   */
  private trackIdIndex: Map<string, number> | undefined = new Map();
  /** Next entry with the same track id, or -1. */
  private get trackNext(): readonly number[] {
    this.#next ??= (this.origin as TrackDictionary).trackNext;
    return this.#next;
  }
  private set trackNext(next: readonly number[]) {
    this.#next = next;
  }
  /** True while the track arrays are shared (copy before appending). */
  private sharedTracks = false;
  /**
   * When set, entries `[0, origin.size)` are exactly this songs
   * dictionary's: merging two states of one origin needs no interning.
   */
  private origin: TrackDictionary | undefined;

  /** Id of the track dictionary serialized state `bytes` references (v2, from its header), else undefined. */
  static referencedDictionaryId(bytes: Uint8Array): string | undefined {
    return referencedDictionaryId(bytes);
  }

  /** @internal Use {@link createKpiState}. */
  constructor(mode: UniqueListenersMode, hllPrecision: number) {
    this.mode = mode;
    this.hllPrecision = hllPrecision;
  }

  /** The number of `genre`, interning it if new. */
  internGenre(genre: string): number {
    let g = this.genreIndex.get(genre);
    if (g === undefined) {
      g = this.genres.length;
      this.genres.push(genre);
      this.genreIndex.set(genre, g);
    }
    return g;
  }

  /** The number of track entry (`id`, `name`), interning it if new. */
  internTrack(id: string, name: string): number {
    // One map lookup by id, then a short chain of names: no key string is built.
    const index = this.ownTracks();
    const first = index.get(id);
    const names = this.trackNames;
    const next = this.trackNext as number[];
    let last = -1;
    for (let t = first ?? -1; t >= 0; t = next[t]!) {
      if (names[t] === name) return t;
      last = t;
    }
    const t = this.trackIds.length;
    (this.trackIds as string[]).push(id);
    (names as string[]).push(name);
    next.push(-1);
    if (last < 0) index.set(id, t);
    else {
      next[last] = t;
      this.trackNameConflicts = true;
    }
    return t;
  }

  /** Makes the track arrays private to this state and returns the id index. */
  private ownTracks(): Map<string, number> {
    if (this.sharedTracks) {
      this.trackIds = this.trackIds.slice();
      this.trackNames = this.trackNames.slice();
      this.trackNext = this.trackNext.slice();
      this.sharedTracks = false;
    }
    if (this.trackIdIndex === undefined) {
      const index = new Map<string, number>();
      const ids = this.trackIds;
      for (let t = 0; t < ids.length; t++) if (!index.has(ids[t]!)) index.set(ids[t]!, t);
      this.trackIdIndex = index;
    }
    return this.trackIdIndex;
  }

  /**
   * Takes the songs table's track dictionary as this (empty) state's track
   * entries, shared; returns false when the state already has tracks.
   * @internal Used by the aggregators.
   */
  adoptTracks(dictionary: TrackDictionary): boolean {
    if (this.trackCount > 0) return false;
    // The dictionary's arrays, fetched on first use.
    this.#ids = undefined;
    this.#names = undefined;
    this.#next = undefined;
    this.sharedTracks = true;
    this.trackIdIndex = undefined;
    this.origin = dictionary;
    this.trackNameConflicts = dictionary.conflicts;
    return true;
  }

  /** The songs dictionary whose numbering the leading track entries follow, if any. @internal */
  get trackOrigin(): TrackDictionary | undefined {
    return this.origin;
  }

  /** Number of leading track entries equal to `other`'s (same songs dictionary). @internal */
  sharedPrefix(other: KpiState): number {
    return this.origin !== undefined && this.origin === other.origin ? this.origin.size : 0;
  }

  /**
   * Makes this (empty) state a copy of `src` in O(days × genres): track
   * dictionaries and cells are shared copy-on-write (a cell is copied, as
   * typed arrays without rehashing, by the first state that changes it).
   * @internal The cheap first step of {@link mergeKpiStates}.
   */
  copyFrom(src: KpiState): void {
    this.genres.push(...src.genres);
    this.genreIndex = new Map(src.genreIndex);
    // Share the track arrays; whoever appends first copies them.
    this.#ids = src.#ids;
    this.#names = src.#names;
    this.#next = src.#next;
    this.sharedTracks = true;
    src.sharedTracks = true;
    this.trackIdIndex = undefined;
    this.origin = src.origin;
    this.trackNameConflicts = src.trackNameConflicts;
    // Share the cells too: both states copy a cell before changing it.
    for (const [day, cells] of src.days) {
      for (const cell of cells) if (cell !== undefined) cell.owner = undefined;
      this.days.set(day, cells.slice());
    }
  }

  /** Cell `g` of `cells` (a day of this state), copied first unless this state owns it. */
  ownCell(cells: (KpiCell | undefined)[], g: number): KpiCell {
    const cell = cells[g]!;
    if (cell.owner === this) return cell;
    const users =
      cell.users instanceof UserIdSet
        ? cell.users.clone()
        : new HyperLogLog(cell.users.precision, cell.users.registers.slice());
    const copy = new KpiCell(users, cell.tracks.clone(), this);
    copy.listens = cell.listens;
    copy.totalMs = cell.totalMs;
    cells[g] = copy;
    return copy;
  }

  /** The cells of day `day`, created if absent. */
  dayCells(day: number): (KpiCell | undefined)[] {
    let cells = this.days.get(day);
    if (cells === undefined) {
      cells = [];
      this.days.set(day, cells);
    }
    return cells;
  }

  /** A new, empty cell for this state's mode. */
  newCell(): KpiCell {
    return new KpiCell(
      this.mode === 'hll' ? new HyperLogLog(this.hllPrecision) : new UserIdSet(),
      new CountMap(),
      this,
    );
  }
}

/** Options of {@link createKpiState}. */
export interface KpiStateOptions {
  /** Unique-listener counting; default `'exact'`. */
  readonly uniqueListeners?: UniqueListenersMode;
  /** HyperLogLog precision 4–16; default 12 (≈1.6 % standard error). */
  readonly hllPrecision?: number;
}

/** Creates an empty state. */
export function createKpiState(options: KpiStateOptions = {}): KpiState {
  const mode = options.uniqueListeners ?? 'exact';
  if (mode !== 'exact' && mode !== 'hll') {
    throw new PipelineError(
      'KPI_STATE_OPTIONS',
      `Expected \`uniqueListeners\` to be 'exact' or 'hll', got ${String(mode)}`,
    );
  }
  const precision = options.hllPrecision ?? 12;
  if (!Number.isInteger(precision) || precision < 4 || precision > 16) {
    throw new PipelineError(
      'KPI_STATE_OPTIONS',
      `Expected \`hllPrecision\` to be an integer from 4 to 16, got ${precision}`,
    );
  }
  return new KpiState(mode, precision);
}
