/**
 * The binary codec of KPI states (formats v1 and v2, see kpi-state.ts):
 * canonical serialization, per date for the exactly-once partials, and
 * reading back, optionally bound to a songs table's track dictionary.
 */
import { ByteWriter, crc32 } from './internal/kpi-bytes.js';
import { compareCodePoints, sortedOrder } from './internal/kpi-compare.js';
import type { CountMap } from './internal/kpi-count-map.js';
import { DICTIONARY_ID_BYTES, dictionaryIdBytes } from './internal/kpi-dictionary-file.js';
import { UserIdSet } from './internal/kpi-user-set.js';
import {
  keepUsed,
  type Used,
  writeDictionaryTracks,
  writeOwnTracks,
  writeTrackPositions,
} from './internal/kpi-write-tracks.js';
import type { KpiState } from './kpi-state.js';
import { formatDay } from './zone.js';

export const MAGIC = [0x53, 0x4b, 0x50, 0x49]; // "SKPI"
/** Format version of states that carry their track entries. */
export const KPI_STATE_FORMAT_VERSION = 1;
/** Format version of states that reference a stored track dictionary. */
export const KPI_STATE_REFERENCE_VERSION = 2;

/** Options of {@link serializeKpiState} and {@link serializeKpiStateByDate}. */
export interface SerializeKpiStateOptions {
  /**
   * `'inline'` (default): format v1, the state carries the (id, name) of
   * every track it uses. `'reference'`: format v2 when the state's tracks
   * are all its songs table's (states aggregated from the table, and their
   * merges): the tracks are positions into that table's track dictionary,
   * named by id (`songs.kpiTrackDictionary()`), which whoever stores the
   * state stores too; otherwise v1.
   */
  readonly trackDictionary?: 'inline' | 'reference';
}

/**
 * The id of the stored track dictionary a serialized state references
 * (format v2), read from its header without decoding it; undefined for a
 * state that carries its tracks (v1) or bytes that are no KPI state.
 */
export function referencedDictionaryId(bytes: Uint8Array): string | undefined {
  const end = 7 + DICTIONARY_ID_BYTES;
  if (bytes.length < end || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  if (bytes[4] !== KPI_STATE_REFERENCE_VERSION) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset + 7, DICTIONARY_ID_BYTES).toString('hex');
}

/** Serializes `state` to the compact, versioned, canonical binary format (see module docs). */
export function serializeKpiState(
  state: KpiState,
  options: SerializeKpiStateOptions = {},
): Uint8Array {
  return serializeDays(
    state,
    [...state.days.keys()].sort((a, b) => a - b),
    options.trackDictionary === 'reference',
  );
}

/**
 * One canonical partial per date of `state`, dates ascending: byte for byte
 * `serializeKpiState(pickKpiDates(state, [date]))`, without building the
 * picked states. What the exactly-once protocol stores per (object, date).
 */
export function serializeKpiStateByDate(
  state: KpiState,
  options: SerializeKpiStateOptions = {},
): { readonly date: string; readonly bytes: Uint8Array }[] {
  const reference = options.trackDictionary === 'reference';
  return [...state.days.keys()]
    .sort((a, b) => a - b)
    .map((day) => ({ date: formatDay(day), bytes: serializeDays(state, [day], reference) }));
}

/** {@link serializeKpiState} of the state made of `days` (ascending) of `state`. */
function serializeDays(state: KpiState, days: readonly number[], reference: boolean): Uint8Array {
  const origin = state.trackOrigin;
  // Every entry is the dictionary's: its canonical order and bytes are cached.
  const bound = origin !== undefined && state.trackCount === origin.size;
  const w = new ByteWriter();
  for (const b of MAGIC) w.u8(b);
  w.u8(bound && reference ? KPI_STATE_REFERENCE_VERSION : KPI_STATE_FORMAT_VERSION);
  w.u8(state.mode === 'hll' ? 1 : 0);
  w.u8(state.mode === 'hll' ? state.hllPrecision : 0);
  if (bound && reference) w.bytes(dictionaryIdBytes(origin));
  // Each step is a function of its own: its loops get type feedback (and
  // optimized code) of their own, instead of one long function being
  // optimized again each time a later step runs for the first time.
  const used = markUsed(state, days);
  const { genres, genreNew } = writeGenres(w, state, used.genre);
  const trackNew = new Int32Array(state.trackCount).fill(-1);
  if (bound && reference) writeTrackPositions(w, origin, used, trackNew);
  else if (bound) writeDictionaryTracks(w, origin, used, trackNew);
  else writeOwnTracks(w, state, used, trackNew);
  writeCells(
    w,
    state,
    days,
    genres,
    genreNew,
    trackNew,
    new Uint32Array(used.maxTracks),
    new Float64Array(used.maxTracks),
  );
  w.u32(crc32(w.written()));
  return w.finish();
}

function markUsed(state: KpiState, days: readonly number[]): Used {
  const genre = new Uint8Array(state.genres.length);
  const track = new Uint8Array(state.trackCount);
  let maxTracks = 0;
  let cellBytes = 0;
  for (const day of days) {
    const cells = state.days.get(day);
    if (cells === undefined) continue;
    for (let g = 0; g < cells.length; g++) {
      const cell = cells[g];
      if (cell === undefined) continue;
      genre[g] = 1;
      const slots = cell.tracks.table;
      for (let i = 0; i < slots.length; i += 2) if (slots[i] !== 0) track[slots[i]! - 1] = 1;
      maxTracks = Math.max(maxTracks, cell.tracks.size);
      const users = cell.users;
      cellBytes += 32 + 8 * cell.tracks.size;
      cellBytes += users instanceof UserIdSet ? 4 * users.size : users.registers.length;
    }
  }
  return { genre, track, maxTracks, cellBytes };
}

/** Writes the used genres in sorted order; `genreNew[g]` is each one's number among them. */
function writeGenres(w: ByteWriter, state: KpiState, usedGenre: Uint8Array) {
  const genreOrder = sortedOrder(state.genres.length, (a, b) =>
    compareCodePoints(state.genres[a]!, state.genres[b]!),
  );
  const genreNew = new Int32Array(state.genres.length).fill(-1);
  const genres = keepUsed(genreOrder, usedGenre, genreNew);
  w.varint(genres.length);
  for (const g of genres) w.string(state.genres[g]!);
  return { genres, genreNew };
}

/** Writes the cells of `days`, genres and tracks renumbered. */
function writeCells(
  w: ByteWriter,
  state: KpiState,
  days: readonly number[],
  genres: readonly number[],
  genreNew: Int32Array,
  trackNew: Int32Array,
  keys32: Uint32Array,
  keys64: Float64Array,
): void {
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
      if (cell.users instanceof UserIdSet) writeUserIds(w, cell.users);
      else w.bytes(cell.users.registers);
      writeTrackCounts(w, cell.tracks, trackNew, state.trackCount, keys32, keys64);
    }
  }
}

/** A cell's distinct user ids, ascending, delta-coded. */
function writeUserIds(w: ByteWriter, users: UserIdSet): void {
  const ids = users.sorted();
  w.varint(ids.length);
  let prev = 0;
  for (let i = 0; i < ids.length; i++) {
    w.varint(ids[i]! - prev);
    prev = ids[i]!;
  }
}

const TWO_32 = 4294967296;

/**
 * Writes a cell's (track, count) pairs, tracks renumbered by `trackNew`
 * (each below `trackCount`), ascending by track. Each pair sorts as one
 * number, its track above its slot index (the slot holds its count): a
 * 32-bit integer when every such number fits (the common case, about three
 * times faster to sort than doubles), else a double, exact below 2^53;
 * past that, a comparator sort.
 */
function writeTrackCounts(
  w: ByteWriter,
  tracks: CountMap,
  trackNew: Int32Array,
  trackCount: number,
  keys32: Uint32Array,
  keys64: Float64Array,
): void {
  const slots = tracks.table;
  const scale = 2 ** (32 - Math.clz32(slots.length / 2 - 1));
  w.varint(tracks.size);
  if (trackCount * scale > 2 ** 53) {
    const entries: number[] = [];
    tracks.forEach((t, count) => {
      entries.push(trackNew[t]!, count);
    });
    for (const p of sortedOrder(tracks.size, (a, b) => entries[2 * a]! - entries[2 * b]!)) {
      w.varint(entries[2 * p]!);
      w.varint(entries[2 * p + 1]!);
    }
    return;
  }
  const keys = trackCount * scale <= TWO_32 ? keys32 : keys64;
  let n = 0;
  for (let i = 0; i < slots.length; i += 2) {
    const k = slots[i]!;
    if (k !== 0) keys[n++] = trackNew[k - 1]! * scale + i / 2;
  }
  const sorted = keys.subarray(0, n).sort();
  for (let i = 0; i < n; i++) {
    const slot = sorted[i]! % scale;
    w.varint((sorted[i]! - slot) / scale);
    w.varint(slots[2 * slot + 1]!);
  }
}
