/** Reading KPI states back from their binary form (see kpi-codec.ts). */
import { PipelineError } from '../errors.js';
import { SongsTable } from '../join/songs-table.js';
import { HyperLogLog } from './hll.js';
import { ByteReadError, ByteReader, ByteWriter, crc32 } from './internal/kpi-bytes.js';
import { CountMap } from './internal/kpi-count-map.js';
import {
  DICTIONARY_ID_BYTES,
  dictionaryId,
  readDictionaryFile,
} from './internal/kpi-dictionary-file.js';
import { compareAt, encodedDictionary, findEncoded } from './internal/kpi-encoded-dictionary.js';
import { UserIdSet } from './internal/kpi-user-set.js';
import { KPI_STATE_FORMAT_VERSION, KPI_STATE_REFERENCE_VERSION, MAGIC } from './kpi-codec.js';
import { KpiCell, KpiState } from './kpi-state.js';

/**
 * Reads `count` track entries into `state` bound to `songs`' dictionary:
 * each (id, name) becomes the dictionary's entry when the table has it, an
 * extra entry otherwise. Returns the serialized number → entry map.
 */
function bindTracks(r: ByteReader, state: KpiState, songs: SongsTable, count: number): Int32Array {
  const dictionary = songs.trackDictionary();
  state.adoptTracks(dictionary);
  // An entry is found by its encoded bytes (as the serializer wrote them):
  // no string is decoded for the table's tracks. Entries come in canonical
  // order, as the dictionary's `order`: walk both, and look up by hash only
  // an entry the walk does not find where it expects it.
  const encoded = encodedDictionary(dictionary);
  const order = encoded.order;
  const buf = r.buf;
  const bufView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const map = new Int32Array(count);
  const seen = new Uint8Array(dictionary.size + count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    const from = r.pos;
    r.skipString();
    r.skipString();
    const to = r.pos;
    let entry = -1;
    while (p < order.length) {
      const c = compareAt(buf, bufView, from, to, encoded, p);
      if (c < 0) break;
      p++;
      if (c === 0) {
        entry = order[p - 1]!;
        break;
      }
    }
    if (entry < 0) entry = findEncoded(encoded, r.since(from));
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

/** Reads `count` track entries (as v1 writes them) into `state`; the map unless plain numbering. */
function readTracks(
  r: ByteReader,
  state: KpiState,
  songs: SongsTable | undefined,
  count: number,
): Int32Array | undefined {
  if (songs !== undefined) return bindTracks(r, state, songs, count);
  for (let i = 0; i < count; i++) {
    const id = r.string();
    if (state.internTrack(id, r.string()) !== i) throw corrupt('duplicate track');
  }
  return undefined;
}

/**
 * Reads the `count` positions (format v2) into dictionary `id`'s canonical
 * order: the bound table's own entries when it is that dictionary, else the
 * stored dictionary's entries, read as v1 entries.
 */
function referencedTracks(
  r: ByteReader,
  state: KpiState,
  id: string,
  count: number,
  options: DeserializeKpiStateOptions,
): Int32Array | undefined {
  const positions = new Int32Array(count);
  let pos = -1;
  for (let i = 0; i < count; i++) {
    pos += r.varint() + 1;
    if (pos > 0x7fffffff) throw corrupt(`bad track position ${pos}`);
    positions[i] = pos;
  }
  const songs = options.songs;
  const dictionary = songs?.trackDictionary();
  if (dictionary !== undefined && dictionaryId(dictionary) === id) {
    const order = encodedDictionary(dictionary).order;
    state.adoptTracks(dictionary);
    const map = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      if (positions[i]! >= order.length) throw corrupt(`bad track position ${positions[i]}`);
      map[i] = order[positions[i]!]!;
    }
    return map;
  }
  const file = options.dictionaries?.get(id);
  if (file === undefined) {
    throw new PipelineError(
      'KPI_STATE_DICTIONARY_MISSING',
      `KPI state references track dictionary ${id}, which is neither the songs table's nor given`,
    );
  }
  const stored = readDictionaryFile(file, id);
  const start = stored.start;
  // The used entries, in canonical order, as a v1 state would carry them.
  const w = new ByteWriter();
  for (let i = 0; i < count; i++) {
    const p = positions[i]!;
    if (p >= start.length - 1) throw corrupt(`bad track position ${p}`);
    w.copy(stored.bytes, start[p]!, start[p + 1]!);
  }
  return readTracks(new ByteReader(w.finish()), state, songs, count);
}

function corrupt(detail: string, cause?: unknown): PipelineError {
  return new PipelineError('KPI_STATE_CORRUPT', `Corrupt KPI state: ${detail}`, { cause });
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
  /**
   * Stored track dictionaries (`songs.kpiTrackDictionary().bytes`) by id,
   * for states of format v2 that reference a dictionary other than that of
   * `songs` (e.g. written before the songs file changed). A state that
   * references the dictionary of `songs` needs none.
   */
  readonly dictionaries?: ReadonlyMap<string, Uint8Array>;
}

/**
 * Reads a state written by {@link serializeKpiState}.
 *
 * @throws PipelineError `KPI_STATE_VERSION` for a format version this library
 *   does not know, `KPI_STATE_DICTIONARY_MISSING` for a v2 state whose track
 *   dictionary is neither that of `songs` nor in `dictionaries` (the message
 *   names its id), `KPI_STATE_CORRUPT` for anything else that is wrong (bad
 *   magic, checksum mismatch, truncation, out-of-range values, a stored
 *   dictionary that is not the one named).
 */
export function deserializeKpiState(
  bytes: Uint8Array,
  options: DeserializeKpiStateOptions = {},
): KpiState {
  if (!(bytes instanceof Uint8Array)) throw corrupt('expected a Uint8Array');
  const songs = options?.songs;
  if (songs !== undefined && !(songs instanceof SongsTable)) {
    throw new PipelineError('KPI_STATE_OPTIONS', 'Expected `songs` to be a SongsTable');
  }
  if (bytes.length < 11 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw corrupt('not a KPI state (bad magic bytes)');
  }
  const version = bytes[4]!;
  if (version !== KPI_STATE_FORMAT_VERSION && version !== KPI_STATE_REFERENCE_VERSION) {
    throw new PipelineError(
      'KPI_STATE_VERSION',
      `Unsupported KPI state format version ${version} (this library reads versions ${KPI_STATE_FORMAT_VERSION} and ${KPI_STATE_REFERENCE_VERSION})`,
    );
  }
  const bodyLength = bytes.length - 4;
  const expected = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    bodyLength,
    true,
  );
  if (crc32(bytes.subarray(0, bodyLength)) !== expected) throw corrupt('checksum mismatch');
  try {
    return readBody(new ByteReader(bytes, bodyLength), options);
  } catch (error) {
    if (error instanceof ByteReadError || error instanceof RangeError)
      throw corrupt(error.message, error);
    throw error;
  }
}

function readBody(r: ByteReader, options: DeserializeKpiStateOptions): KpiState {
  r.pos = 4;
  const version = r.u8();
  const modeByte = r.u8();
  const precision = r.u8();
  const id =
    version === KPI_STATE_REFERENCE_VERSION
      ? Buffer.from(r.bytes(DICTIONARY_ID_BYTES)).toString('hex')
      : undefined;
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
  const trackMap =
    id === undefined
      ? readTracks(r, state, options.songs, trackCount)
      : referencedTracks(r, state, id, trackCount, options);
  const dayCount = r.varint();
  for (let d = 0; d < dayCount; d++) {
    const day = r.svarint();
    if (Math.abs(day) > 3_000_000 || state.days.has(day)) throw corrupt(`bad day ${day}`);
    const cells = state.dayCells(day);
    const cellCount = r.varint();
    for (let c = 0; c < cellCount; c++) {
      const g = r.varint();
      if (g >= genreCount || cells[g] !== undefined) throw corrupt(`bad genre index ${g}`);
      let users: UserIdSet | HyperLogLog;
      const listens = r.varint();
      const totalMs = r.varint();
      if (modeByte === 0) {
        const n = r.varint();
        if (n > listens) throw corrupt('more listeners than listens');
        // Presized up to a point: a big set may turn into bitmaps as it grows.
        users = new UserIdSet(Math.min(n, 1024));
        let prev = 0;
        for (let i = 0; i < n; i++) {
          const delta = r.varint();
          if (delta === 0) throw corrupt('user ids not strictly ascending');
          prev += delta;
          users.add(prev);
        }
      } else {
        users = new HyperLogLog(precision, r.bytes(1 << precision).slice());
      }
      const n = r.varint();
      // Sized for its n tracks (a bad n fails below, at the end of the bytes).
      const cell = new KpiCell(users, new CountMap(Math.min(n, r.remaining)), state);
      cell.listens = listens;
      cell.totalMs = totalMs;
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
