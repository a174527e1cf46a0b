/**
 * The stored form of a songs track dictionary, which format v2 KPI states
 * reference by id instead of copying its entries (see kpi-state.ts).
 *
 * Layout: `"SKPD"`, version u8 = 1, entry count (varint), the entries in
 * canonical order encoded as v1 states write track entries (id and name,
 * length-prefixed UTF-8), then CRC-32 of everything before it. The id is
 * the first 16 bytes (hex) of sha256 over the encoded entries: equal
 * dictionaries, equal ids and equal bytes.
 */
import { createHash } from 'node:crypto';
import { PipelineError } from '../../errors.js';
import type { TrackDictionary } from '../../join/songs-table.js';
import { ByteReadError, ByteReader, ByteWriter, crc32 } from './kpi-bytes.js';
import { encodedDictionary } from './kpi-encoded-dictionary.js';

const MAGIC = [0x53, 0x4b, 0x50, 0x44]; // "SKPD"
const VERSION = 1;
/** Bytes of a dictionary id (hex in APIs: twice as many digits). */
export const DICTIONARY_ID_BYTES = 16;

const ids = new WeakMap<TrackDictionary, Uint8Array>();

/** The id of `dictionary` as raw bytes, computed once. */
export function dictionaryIdBytes(dictionary: TrackDictionary): Uint8Array {
  let id = ids.get(dictionary);
  if (id === undefined) {
    const digest = createHash('sha256').update(encodedDictionary(dictionary).bytes).digest();
    id = new Uint8Array(digest.subarray(0, DICTIONARY_ID_BYTES));
    ids.set(dictionary, id);
  }
  return id;
}

/** The id of `dictionary` (hex). */
export function dictionaryId(dictionary: TrackDictionary): string {
  return Buffer.from(dictionaryIdBytes(dictionary)).toString('hex');
}

const files = new WeakMap<TrackDictionary, { readonly id: string; readonly bytes: Uint8Array }>();

/** The stored form of `dictionary` and its id, built once. */
export function dictionaryFile(dictionary: TrackDictionary): {
  readonly id: string;
  readonly bytes: Uint8Array;
} {
  let file = files.get(dictionary);
  if (file === undefined) {
    const { bytes, order } = encodedDictionary(dictionary);
    const w = new ByteWriter();
    w.reserve(bytes.length + 16);
    for (const b of MAGIC) w.u8(b);
    w.u8(VERSION);
    w.varint(order.length);
    w.copy(bytes, 0, bytes.length);
    w.u32(crc32(w.written()));
    file = { id: dictionaryId(dictionary), bytes: w.finish() };
    files.set(dictionary, file);
  }
  return file;
}

/** A stored dictionary read back: entry `i` (canonical order) is `bytes[start[i]..start[i + 1])`. */
export interface StoredDictionary {
  readonly bytes: Uint8Array;
  readonly start: Int32Array;
}

const read = new WeakMap<Uint8Array, StoredDictionary>();

function corrupt(detail: string, cause?: unknown): PipelineError {
  return new PipelineError('KPI_STATE_CORRUPT', `Corrupt KPI track dictionary: ${detail}`, {
    cause,
  });
}

/**
 * Reads the stored dictionary `file`, which must be the one named `id`.
 * @throws PipelineError `KPI_STATE_CORRUPT` for bytes that are not that dictionary.
 */
export function readDictionaryFile(file: Uint8Array, id: string): StoredDictionary {
  const cached = read.get(file);
  if (cached !== undefined) return cached;
  if (!(file instanceof Uint8Array) || file.length < 10 || MAGIC.some((b, i) => file[i] !== b))
    throw corrupt(`${id} is not a track dictionary (bad magic bytes)`);
  if (file[4] !== VERSION) throw corrupt(`${id} has unknown version ${file[4]}`);
  const body = file.length - 4;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (crc32(file.subarray(0, body)) !== view.getUint32(body, true))
    throw corrupt(`${id}: checksum mismatch`);
  const r = new ByteReader(file, body);
  r.pos = 5;
  let start: Int32Array;
  let from: number;
  try {
    const count = r.varint();
    if (count > body) throw corrupt(`${id}: bad entry count ${count}`);
    from = r.pos;
    start = new Int32Array(count + 1);
    for (let i = 0; i < count; i++) {
      start[i] = r.pos - from;
      r.skipString();
      r.skipString();
    }
    start[count] = r.pos - from;
  } catch (error) {
    if (error instanceof ByteReadError) throw corrupt(`${id}: ${error.message}`, error);
    throw error;
  }
  if (r.remaining !== 0) throw corrupt(`${id}: ${r.remaining} trailing bytes`);
  const bytes = file.subarray(from, body);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest.slice(0, 2 * DICTIONARY_ID_BYTES) !== id)
    throw corrupt(`${id}: content has another id`);
  const stored = { bytes, start };
  read.set(file, stored);
  return stored;
}
