/**
 * A songs track dictionary encoded as the KPI state format writes track
 * entries, in canonical order (id, then name, by code points): a state bound
 * to the dictionary serializes its tracks by copying bytes, and a partial's
 * entries (written in the same order) are read back by walking both.
 */

import { sharedCopy } from '../../internal/shared-memory.js';
import type { TrackDictionary } from '../../join/songs-table.js';
import type { EncodedDictionaryParts } from '../../join/track-dictionary.js';
import { ByteWriter } from './kpi-bytes.js';
import { compareCodePoints, sortedOrder } from './kpi-compare.js';

/** The encoded entries (see {@link EncodedDictionaryParts}) and a view to compare their bytes. */
export interface EncodedDictionary extends EncodedDictionaryParts {
  /** A view of `bytes`, to compare them four at a time. */
  readonly view: DataView;
}

/** FNV-1a over `bytes[from..to)`. */
function hashBytes(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The dictionary entry encoded exactly as `encoded` (id and name, length-prefixed), or -1. */
export function findEncoded(dictionary: EncodedDictionary, encoded: Uint8Array): number {
  const { start, bytes, order } = dictionary;
  const index = hashIndex(dictionary);
  const mask = index.length - 1;
  for (let i = hashBytes(encoded) & mask; ; i = (i + 1) & mask) {
    const slot = index[i]!;
    if (slot === 0) return -1;
    const from = start[slot - 1]!;
    if (start[slot]! - from !== encoded.length) continue;
    let same = true;
    for (let k = 0; k < encoded.length; k++) {
      if (bytes[from + k] !== encoded[k]) {
        same = false;
        break;
      }
    }
    if (same) return order[slot - 1]!;
  }
}

/** Where the varint last read by {@link varintAt} ends. */
let varintEnd = 0;

/** The unsigned varint at `bytes[pos]` (read no further than `end`). */
function varintAt(bytes: Uint8Array, pos: number, end: number): number {
  let v = 0;
  let scale = 1;
  for (let i = pos; i < end; i++) {
    const b = bytes[i]!;
    v += (b & 127) * scale;
    if (b < 128) {
      varintEnd = i + 1;
      return v;
    }
    scale *= 128;
  }
  varintEnd = end;
  return v;
}

/** Whether `a[aFrom..aFrom + n)` and `b[bFrom..bFrom + n)` (views `av`, `bv` of them) are the same bytes. */
function sameBytes(
  a: Uint8Array,
  av: DataView,
  aFrom: number,
  b: Uint8Array,
  bv: DataView,
  bFrom: number,
  n: number,
): boolean {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    if (av.getInt32(aFrom + k) !== bv.getInt32(bFrom + k)) return false;
  }
  for (; k < n; k++) if (a[aFrom + k] !== b[bFrom + k]) return false;
  return true;
}

/**
 * How the encoded track entry `a[aFrom..aTo)` sorts against the dictionary's
 * `i`-th in canonical order (UTF-8 bytes sort as code points): 0 only for
 * identical bytes, otherwise negative or positive (in canonical order for
 * well-formed encodings; a reader that walks with it falls back to
 * {@link findEncoded} when an entry is not where it expects it).
 */
export function compareAt(
  a: Uint8Array,
  av: DataView,
  aFrom: number,
  aTo: number,
  dictionary: EncodedDictionary,
  i: number,
): number {
  const { bytes: b, view: bv, start } = dictionary;
  const bFrom = start[i]!;
  const bTo = start[i + 1]!;
  const size = aTo - aFrom;
  if (size === bTo - bFrom && sameBytes(a, av, aFrom, b, bv, bFrom, size)) return 0;
  let x = aFrom;
  let y = bFrom;
  for (let field = 0; field < 2; field++) {
    const aLen = varintAt(a, x, aTo);
    x = varintEnd;
    const bLen = varintAt(b, y, bTo);
    y = varintEnd;
    const n = Math.min(aLen, bLen, aTo - x, bTo - y);
    for (let k = 0; k < n; k++) {
      const d = a[x + k]! - b[y + k]!;
      if (d !== 0) return d;
    }
    if (aLen !== bLen) return aLen - bLen;
    x += aLen;
    y += bLen;
  }
  // Same fields, other bytes (a length written in more bytes than needed).
  return size === bTo - bFrom ? 1 : size - (bTo - bFrom);
}

const encodedDictionaries = new WeakMap<TrackDictionary, EncodedDictionary>();

/** Encodes the entries of `dictionary` in canonical order. */
function encodeEntries(dictionary: TrackDictionary): EncodedDictionaryParts {
  const { trackIds, trackNames } = dictionary;
  const n = trackIds.length;
  const order = sortedOrder(
    n,
    (a, b) =>
      compareCodePoints(trackIds[a]!, trackIds[b]!) ||
      compareCodePoints(trackNames[a]!, trackNames[b]!),
  );
  const w = new ByteWriter();
  const start = new Int32Array(new SharedArrayBuffer(4 * (n + 1)));
  for (let i = 0; i < n; i++) {
    start[i] = w.length;
    w.string(trackIds[order[i]!]!);
    w.string(trackNames[order[i]!]!);
  }
  start[n] = w.length;
  return { order: sharedCopy(order), start, bytes: sharedCopy(w.written()) };
}

const indexes = new WeakMap<EncodedDictionary, Int32Array>();

/**
 * Open-addressing table of `i + 1` (position in `order`) by {@link hashBytes}
 * of entry `i`'s encoding (0 = empty), built on first use: only a state of
 * another songs table is read through it.
 */
function hashIndex(dictionary: EncodedDictionary): Int32Array {
  let index = indexes.get(dictionary);
  if (index !== undefined) return index;
  const { start, bytes } = dictionary;
  const n = start.length - 1;
  let size = 8;
  while (size < n * 2) size *= 2;
  index = new Int32Array(size);
  for (let i = 0; i < n; i++) {
    let h = hashBytes(bytes, start[i]!, start[i + 1]!) & (size - 1);
    while (index[h] !== 0) h = (h + 1) & (size - 1);
    index[h] = i + 1;
  }
  indexes.set(dictionary, index);
  return index;
}

/**
 * The {@link EncodedDictionary} of `dictionary`: the encoded entries it
 * came with (another thread's, or the table's bytes), else built once and
 * kept on it, so the table's bytes and other threads get them too.
 */
export function encodedDictionary(dictionary: TrackDictionary): EncodedDictionary {
  let encoded = encodedDictionaries.get(dictionary);
  if (encoded !== undefined) return encoded;
  dictionary.encoded ??= encodeEntries(dictionary);
  const { order, start, bytes } = dictionary.encoded;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  encoded = { order, start, bytes, view };
  encodedDictionaries.set(dictionary, encoded);
  return encoded;
}
