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
 * The encoding is canonical (dictionaries and keys sorted), so equal states
 * serialize to equal bytes.
 */

import { PipelineError } from '../errors.js';
import { SongsTable, type TrackDictionary } from '../join/songs-table.js';
import { type HyperLogLog as Hll, HyperLogLog } from './hll.js';
import { ByteReadError, ByteReader, ByteWriter, crc32 } from './internal/kpi-bytes.js';
import { compareCodePoints } from './internal/kpi-compare.js';
import { CountMap } from './internal/kpi-count-map.js';
import { UserIdSet } from './internal/kpi-user-set.js';
import { formatDay, parseDay } from './zone.js';

/** How `unique_listeners` is counted: exactly (default) or with HyperLogLog. */
export type UniqueListenersMode = 'exact' | 'hll';

/** A problem with a KPI state: corrupt bytes, unknown version, or mismatched modes. */
export class KpiStateError extends PipelineError {}

/** The aggregates of one date × genre. @internal */
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

  /**
   * The songs dictionary whose numbering this state's leading track entries
   * follow (see {@link KpiState.adoptTracks}), if any. @internal
   */
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
    throw new KpiStateError(
      'KPI_STATE_OPTIONS',
      `Expected \`uniqueListeners\` to be 'exact' or 'hll', got ${String(mode)}`,
    );
  }
  const precision = options.hllPrecision ?? 12;
  if (!Number.isInteger(precision) || precision < 4 || precision > 16) {
    throw new KpiStateError(
      'KPI_STATE_OPTIONS',
      `Expected \`hllPrecision\` to be an integer from 4 to 16, got ${precision}`,
    );
  }
  return new KpiState(mode, precision);
}

function checkCompatible(a: KpiState, b: KpiState): void {
  if (a.mode !== b.mode || (a.mode === 'hll' && a.hllPrecision !== b.hllPrecision)) {
    throw new KpiStateError(
      'KPI_STATE_MODE_MISMATCH',
      `Cannot merge KPI states counted differently: ${describeMode(a)} and ${describeMode(b)}`,
    );
  }
}

function describeMode(s: KpiState): string {
  return s.mode === 'hll' ? `hll (precision ${s.hllPrecision})` : 'exact';
}

function foldInto(out: KpiState, src: KpiState): void {
  const genreMap = src.genres.map((g) => out.internGenre(g));
  const trackMap = new Int32Array(src.trackCount).fill(-1);
  const same = out.sharedPrefix(src);
  for (let t = 0; t < same; t++) trackMap[t] = t;
  for (const [day, cells] of src.days) {
    const outCells = out.dayCells(day);
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      const og = genreMap[g]!;
      let target = outCells[og];
      if (target === undefined) {
        target = out.newCell();
        outCells[og] = target;
      } else if (target.owner !== out) {
        target = out.ownCell(outCells, og);
      }
      target.listens += cell.listens;
      target.totalMs += cell.totalMs;
      if (target.users instanceof UserIdSet) {
        target.users.addAll(cell.users as UserIdSet);
      } else {
        target.users.merge(cell.users as Hll);
      }
      const tracks = target.tracks;
      cell.tracks.forEach((t, count) => {
        let ot = trackMap[t]!;
        if (ot < 0) {
          ot = out.internTrack(src.trackIds[t]!, src.trackNames[t]!);
          trackMap[t] = ot;
        }
        tracks.add(ot, count);
      });
    }
  }
}

/** A cheap size estimate of a state (users + track entries over its cells). */
function stateWeight(state: KpiState): number {
  let w = 0;
  for (const cells of state.days.values()) {
    for (const cell of cells) if (cell !== undefined) w += cell.listens;
  }
  return w;
}

/**
 * Merges KPI states into a new one; inputs are not modified. Associative and
 * commutative: any grouping or order of the same partials finalizes (and
 * serializes) identically.
 *
 * @throws KpiStateError `KPI_STATE_MODE_MISMATCH` when the states count unique listeners differently.
 */
export function mergeKpiStates(first: KpiState, ...rest: KpiState[]): KpiState {
  const out = new KpiState(first.mode, first.hllPrecision);
  for (const s of rest) checkCompatible(first, s);
  // Fold the rest into a copy-on-write copy of the largest input: only the
  // cells the others touch are copied (keeps sequential merges cheap).
  let largest = first;
  let largestSize = stateWeight(first);
  for (const s of rest) {
    const w = stateWeight(s);
    if (w > largestSize) {
      largest = s;
      largestSize = w;
    }
  }
  out.copyFrom(largest);
  if (largest !== first) foldInto(out, first);
  for (const s of rest) if (s !== largest) foldInto(out, s);
  return out;
}

/**
 * Folds `source` into `target` in place, for a caller that owns `target`
 * (an accumulator no one else reads): cheaper than {@link mergeKpiStates}
 * when partials arrive one by one, with the same result. Cells and track
 * arrays `target` shares with other states are copied before they change,
 * so other states are never modified.
 *
 * @throws KpiStateError `KPI_STATE_MODE_MISMATCH` when the states count unique listeners differently.
 */
export function mergeKpiStateInto(target: KpiState, source: KpiState): void {
  checkCompatible(target, source);
  foldInto(target, source);
}

/** The dates (`YYYY-MM-DD`, ascending) that have at least one listen in `state`. */
export function kpiStateDates(state: KpiState): string[] {
  return [...state.days.keys()].sort((a, b) => a - b).map(formatDay);
}

/**
 * A new state holding only `dates` of `state` (dates absent from it are
 * ignored). Used to store one partial per (source object, date).
 *
 * @throws KpiStateError `KPI_STATE_BAD_DATE` for a string that is not `YYYY-MM-DD`.
 */
export function pickKpiDates(state: KpiState, dates: Iterable<string>): KpiState {
  const out = new KpiState(state.mode, state.hllPrecision);
  const wanted = new Set<number>();
  for (const d of dates) {
    const day = parseDay(d);
    if (day === undefined) {
      throw new KpiStateError(
        'KPI_STATE_BAD_DATE',
        `Expected a YYYY-MM-DD date, got ${JSON.stringify(d)}`,
      );
    }
    wanted.add(day);
  }
  // Re-intern so the new state's dictionaries hold only what it uses.
  const genreMap = new Int32Array(state.genres.length).fill(-1);
  const trackMap = new Int32Array(state.trackCount).fill(-1);
  for (const day of [...wanted].sort((a, b) => a - b)) {
    const cells = state.days.get(day);
    if (cells === undefined) continue;
    const outCells = out.dayCells(day);
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      let og = genreMap[g]!;
      if (og < 0) {
        og = out.internGenre(state.genres[g]!);
        genreMap[g] = og;
      }
      const tracks = new CountMap(cell.tracks.size);
      cell.tracks.forEach((t, count) => {
        let ot = trackMap[t]!;
        if (ot < 0) {
          ot = out.internTrack(state.trackIds[t]!, state.trackNames[t]!);
          trackMap[t] = ot;
        }
        tracks.add(ot, count);
      });
      const copy = new KpiCell(cell.users, tracks);
      copy.listens = cell.listens;
      copy.totalMs = cell.totalMs;
      outCells[og] = copy;
    }
  }
  return out;
}

/** Sizes of a state, for the run summary and the benchmark. */
export interface KpiStateStats {
  readonly dates: number;
  /** Date × genre keys. */
  readonly keys: number;
  readonly tracks: number;
  /** Approximate heap bytes of the typed arrays holding users and track counts. */
  readonly approxBytes: number;
}

/** Sizes of `state`. */
export function kpiStateStats(state: KpiState): KpiStateStats {
  let keys = 0;
  let bytes = 0;
  for (const cells of state.days.values()) {
    for (const cell of cells) {
      if (cell === undefined) continue;
      keys++;
      bytes += 64 + cell.tracks.byteLength;
      bytes +=
        cell.users instanceof UserIdSet ? cell.users.byteLength : cell.users.registers.byteLength;
    }
  }
  return { dates: state.days.size, keys, tracks: state.trackCount, approxBytes: bytes };
}

const MAGIC = [0x53, 0x4b, 0x50, 0x49]; // "SKPI"
/** Current serialized state format version. */
export const KPI_STATE_FORMAT_VERSION = 1;

function sortedOrder(n: number, cmp: (a: number, b: number) => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort(cmp);
}

/** Serializes `state` to the compact, versioned, canonical binary format (see module docs). */
export function serializeKpiState(state: KpiState): Uint8Array {
  return serializeDays(
    state,
    [...state.days.keys()].sort((a, b) => a - b),
  );
}

/**
 * One canonical partial per date of `state`, dates ascending: byte for byte
 * `serializeKpiState(pickKpiDates(state, [date]))`, without building the
 * picked states. What the exactly-once protocol stores per (object, date).
 */
export function serializeKpiStateByDate(
  state: KpiState,
): { readonly date: string; readonly bytes: Uint8Array }[] {
  return [...state.days.keys()]
    .sort((a, b) => a - b)
    .map((day) => ({ date: formatDay(day), bytes: serializeDays(state, [day]) }));
}

/**
 * The track entries of a songs dictionary in canonical order (id, then
 * name, by code points), each already encoded as the format writes it: a
 * state bound to the dictionary serializes its tracks by copying bytes.
 */
interface EncodedDictionary {
  /** Entry numbers in canonical order. */
  readonly order: Int32Array;
  /** Entry `e`'s encoded id and name are `bytes[start[e]..start[e + 1])`. */
  readonly start: Int32Array;
  readonly bytes: Uint8Array;
  /** Open-addressing table of `entry + 1` by {@link hashBytes} of its encoding (0 = empty). */
  readonly index: Int32Array;
}

/** FNV-1a over `bytes`. */
function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The dictionary entry encoded exactly as `encoded` (id and name, length-prefixed), or -1. */
function findEncoded(dictionary: EncodedDictionary, encoded: Uint8Array): number {
  const { index, start, bytes } = dictionary;
  const mask = index.length - 1;
  for (let i = hashBytes(encoded) & mask; ; i = (i + 1) & mask) {
    const slot = index[i]!;
    if (slot === 0) return -1;
    const e = slot - 1;
    const from = start[e]!;
    if (start[e + 1]! - from !== encoded.length) continue;
    let same = true;
    for (let k = 0; k < encoded.length; k++) {
      if (bytes[from + k] !== encoded[k]) {
        same = false;
        break;
      }
    }
    if (same) return e;
  }
}

const encodedDictionaries = new WeakMap<TrackDictionary, EncodedDictionary>();

function encodedDictionary(dictionary: TrackDictionary): EncodedDictionary {
  let encoded = encodedDictionaries.get(dictionary);
  if (encoded !== undefined) return encoded;
  const { trackIds, trackNames } = dictionary;
  const order = sortedOrder(
    trackIds.length,
    (a, b) =>
      compareCodePoints(trackIds[a]!, trackIds[b]!) ||
      compareCodePoints(trackNames[a]!, trackNames[b]!),
  );
  const w = new ByteWriter();
  const start = new Int32Array(trackIds.length + 1);
  for (let e = 0; e < trackIds.length; e++) {
    start[e] = w.length;
    w.string(trackIds[e]!);
    w.string(trackNames[e]!);
  }
  start[trackIds.length] = w.length;
  const bytes = w.finish();
  let size = 8;
  while (size < trackIds.length * 2) size *= 2;
  const index = new Int32Array(size);
  for (let e = 0; e < trackIds.length; e++) {
    let i = hashBytes(bytes.subarray(start[e]!, start[e + 1]!)) & (size - 1);
    while (index[i] !== 0) i = (i + 1) & (size - 1);
    index[i] = e + 1;
  }
  encoded = { order, start, bytes, index };
  encodedDictionaries.set(dictionary, encoded);
  return encoded;
}

/** {@link serializeKpiState} of the state made of `days` (ascending) of `state`. */
function serializeDays(state: KpiState, days: readonly number[]): Uint8Array {
  const w = new ByteWriter();
  for (const b of MAGIC) w.u8(b);
  w.u8(KPI_STATE_FORMAT_VERSION);
  w.u8(state.mode === 'hll' ? 1 : 0);
  w.u8(state.mode === 'hll' ? state.hllPrecision : 0);

  // Mark used dictionary entries, then number them in sorted order.
  const usedGenre = new Uint8Array(state.genres.length);
  const usedTrack = new Uint8Array(state.trackCount);
  for (const day of days) {
    const cells = state.days.get(day);
    if (cells === undefined) continue;
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      usedGenre[g] = 1;
      cell.tracks.forEach((t) => {
        usedTrack[t] = 1;
      });
    }
  }
  const genreOrder = sortedOrder(state.genres.length, (a, b) =>
    compareCodePoints(state.genres[a]!, state.genres[b]!),
  );
  const genreNew = new Int32Array(state.genres.length).fill(-1);
  const genres: number[] = [];
  for (const g of genreOrder) {
    if (usedGenre[g] === 0) continue;
    genreNew[g] = genres.length;
    genres.push(g);
  }
  w.varint(genres.length);
  for (const g of genres) w.string(state.genres[g]!);
  const trackNew = new Int32Array(state.trackCount).fill(-1);
  const origin = state.trackOrigin;
  if (origin !== undefined && state.trackCount === origin.size) {
    // Every entry is the dictionary's: its canonical order and bytes are cached.
    const { order, start, bytes } = encodedDictionary(origin);
    let used = 0;
    for (let i = 0; i < order.length; i++) if (usedTrack[order[i]!] === 1) used++;
    w.varint(used);
    let n = 0;
    for (let i = 0; i < order.length; i++) {
      const t = order[i]!;
      if (usedTrack[t] === 0) continue;
      trackNew[t] = n++;
      w.bytes(bytes.subarray(start[t]!, start[t + 1]!));
    }
  } else {
    const trackOrder = sortedOrder(
      state.trackCount,
      (a, b) =>
        compareCodePoints(state.trackIds[a]!, state.trackIds[b]!) ||
        compareCodePoints(state.trackNames[a]!, state.trackNames[b]!),
    );
    const tracks: number[] = [];
    for (const t of trackOrder) {
      if (usedTrack[t] === 0) continue;
      trackNew[t] = tracks.length;
      tracks.push(t);
    }
    w.varint(tracks.length);
    for (const t of tracks) {
      w.string(state.trackIds[t]!);
      w.string(state.trackNames[t]!);
    }
  }

  const presentDays = days.filter((day) => state.days.has(day));
  w.varint(presentDays.length);
  for (const day of presentDays) {
    const cells = state.days.get(day)!;
    const present = genres.filter((g) => cells[g] !== undefined);
    w.svarint(day);
    w.varint(present.length);
    for (const g of present) {
      const cell = cells[g]!;
      w.varint(genreNew[g]!);
      w.varint(cell.listens);
      w.varint(cell.totalMs);
      if (cell.users instanceof UserIdSet) {
        const ids = cell.users.sorted();
        w.varint(ids.length);
        let prev = 0;
        for (let i = 0; i < ids.length; i++) {
          w.varint(ids[i]! - prev);
          prev = ids[i]!;
        }
      } else {
        w.bytes(cell.users.registers);
      }
      const entries: number[] = [];
      cell.tracks.forEach((t, count) => {
        entries.push(trackNew[t]!, count);
      });
      const pairs = sortedOrder(entries.length / 2, (a, b) => entries[2 * a]! - entries[2 * b]!);
      w.varint(pairs.length);
      for (const p of pairs) {
        w.varint(entries[2 * p]!);
        w.varint(entries[2 * p + 1]!);
      }
    }
  }
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

/**
 * Reads `count` track entries into `state` bound to `songs`' dictionary:
 * each (id, name) becomes the dictionary's entry when the table has it, an
 * extra entry otherwise. Returns the serialized number → entry map.
 */
function bindTracks(r: ByteReader, state: KpiState, songs: SongsTable, count: number): Int32Array {
  const dictionary = songs.trackDictionary();
  state.adoptTracks(dictionary);
  // An entry is found by its encoded bytes (as the serializer wrote them):
  // no string is decoded for the table's tracks.
  const encoded = encodedDictionary(dictionary);
  const map = new Int32Array(count);
  const seen = new Uint8Array(dictionary.size + count);
  for (let i = 0; i < count; i++) {
    const from = r.pos;
    r.skipString();
    r.skipString();
    let entry = findEncoded(encoded, r.since(from));
    if (entry < 0) {
      const end = r.pos;
      r.pos = from;
      const id = r.string();
      entry = state.internTrack(id, r.string());
      r.pos = end;
    }
    if (seen[entry] === 1) throw corrupt('duplicate track');
    seen[entry] = 1;
    map[i] = entry;
  }
  return map;
}

function corrupt(detail: string, cause?: unknown): KpiStateError {
  return new KpiStateError('KPI_STATE_CORRUPT', `Corrupt KPI state: ${detail}`, { cause });
}

/** Options of {@link deserializeKpiState}. */
export interface DeserializeKpiStateOptions {
  /**
   * Bind the state to this songs table's track dictionary (as states built
   * from the table are): its track entries become the table's entries, so it
   * merges with the table's states without string work. Entries the table
   * lacks (e.g. a partial written with older songs) are kept as extra entries.
   */
  readonly songs?: SongsTable;
}

/**
 * Reads a state written by {@link serializeKpiState}.
 *
 * @throws KpiStateError `KPI_STATE_VERSION` for a format version this library
 *   does not know, `KPI_STATE_CORRUPT` for anything else that is wrong
 *   (bad magic, checksum mismatch, truncation, out-of-range values).
 */
export function deserializeKpiState(
  bytes: Uint8Array,
  options: DeserializeKpiStateOptions = {},
): KpiState {
  if (!(bytes instanceof Uint8Array)) throw corrupt('expected a Uint8Array');
  const songs = options?.songs;
  if (songs !== undefined && !(songs instanceof SongsTable)) {
    throw new KpiStateError('KPI_STATE_OPTIONS', 'Expected `songs` to be a SongsTable');
  }
  if (bytes.length < 11 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw corrupt('not a KPI state (bad magic bytes)');
  }
  const version = bytes[4]!;
  if (version !== KPI_STATE_FORMAT_VERSION) {
    throw new KpiStateError(
      'KPI_STATE_VERSION',
      `Unsupported KPI state format version ${version} (this library reads version ${KPI_STATE_FORMAT_VERSION})`,
    );
  }
  const bodyLength = bytes.length - 4;
  const expected = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    bodyLength,
    true,
  );
  if (crc32(bytes.subarray(0, bodyLength)) !== expected) throw corrupt('checksum mismatch');
  try {
    return readBody(new ByteReader(bytes, bodyLength), songs);
  } catch (error) {
    if (error instanceof KpiStateError) throw error;
    if (error instanceof ByteReadError || error instanceof RangeError)
      throw corrupt(error.message, error);
    throw error;
  }
}

function readBody(r: ByteReader, songs: SongsTable | undefined): KpiState {
  r.pos = 5;
  const modeByte = r.u8();
  const precision = r.u8();
  if (modeByte > 1) throw corrupt(`unknown mode ${modeByte}`);
  if (modeByte === 1 && (precision < 4 || precision > 16))
    throw corrupt(`bad precision ${precision}`);
  const state = new KpiState(modeByte === 1 ? 'hll' : 'exact', modeByte === 1 ? precision : 12);
  const genreCount = r.varint();
  for (let i = 0; i < genreCount; i++) {
    if (state.internGenre(r.string()) !== i) throw corrupt('duplicate genre');
  }
  const trackCount = r.varint();
  // Serialized track number → the state's entry.
  const trackMap = songs === undefined ? undefined : bindTracks(r, state, songs, trackCount);
  if (trackMap === undefined) {
    for (let i = 0; i < trackCount; i++) {
      const id = r.string();
      if (state.internTrack(id, r.string()) !== i) throw corrupt('duplicate track');
    }
  }
  const dayCount = r.varint();
  for (let d = 0; d < dayCount; d++) {
    const day = r.svarint();
    if (Math.abs(day) > 3_000_000 || state.days.has(day)) throw corrupt(`bad day ${day}`);
    const cells = state.dayCells(day);
    const cellCount = r.varint();
    for (let c = 0; c < cellCount; c++) {
      const g = r.varint();
      if (g >= genreCount || cells[g] !== undefined) throw corrupt(`bad genre index ${g}`);
      let cell: KpiCell;
      const listens = r.varint();
      const totalMs = r.varint();
      if (modeByte === 0) {
        const n = r.varint();
        if (n > listens) throw corrupt('more listeners than listens');
        // Presized up to a point: a big set may turn into bitmaps as it grows.
        const users = new UserIdSet(Math.min(n, 1024));
        let prev = 0;
        for (let i = 0; i < n; i++) {
          const delta = r.varint();
          if (delta === 0) throw corrupt('user ids not strictly ascending');
          prev += delta;
          users.add(prev);
        }
        cell = new KpiCell(users, new CountMap(), state);
      } else {
        cell = new KpiCell(
          new HyperLogLog(precision, r.bytes(1 << precision).slice()),
          new CountMap(),
          state,
        );
      }
      cell.listens = listens;
      cell.totalMs = totalMs;
      const n = r.varint();
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const index = r.varint();
        if (index >= trackCount) throw corrupt(`bad track index ${index}`);
        const t = trackMap === undefined ? index : trackMap[index]!;
        if (cell.tracks.get(t) !== 0) throw corrupt(`bad track index ${index}`);
        const count = r.varint();
        if (count === 0) throw corrupt('zero track count');
        sum += count;
        cell.tracks.add(t, count);
      }
      if (sum !== listens) throw corrupt('track counts do not add up to listens');
      cells[g] = cell;
    }
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} trailing bytes`);
  return state;
}
