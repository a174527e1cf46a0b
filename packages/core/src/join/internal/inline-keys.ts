/**
 * The key-in-slot layout of {@link StringIndex}, for key sets whose keys are
 * all Latin-1 (code units below 256) and at most {@link INLINE_CHARS} long —
 * ids such as Spotify's 22-character track ids. Each 32-byte slot holds
 * `[value, length, key bytes …]` (the bytes packed 4 to an int, zero
 * padded), so a lookup reads one cache line and compares six ints, where
 * the pooled layout reads a slot and then a run of the pool elsewhere.
 */

/** Ints of key bytes per slot. */
const WORDS = 6;
/** Longest key held in a slot (Latin-1 chars). */
export const INLINE_CHARS = 4 * WORDS;
/** Ints per slot: value, length, key bytes. */
export const INLINE_WIDTH = 2 + WORDS;

/**
 * Packs `s[from..to)` as Latin-1 bytes into `out[at .. at + 6)`, 4 to an int
 * (little end first), zero padded; false when the run is too long for a
 * slot or has a code unit of 256 or more (then no inline key equals it).
 */
export function packKey(s: string, from: number, to: number, out: Int32Array, at: number): boolean {
  if (to - from > INLINE_CHARS) return false;
  let units = 0;
  let i = from;
  let k = at;
  for (; i + 3 < to; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    units |= c0 | c1 | c2 | c3;
    out[k++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  const end = at + WORDS;
  if (k < end) {
    let last = 0;
    for (let shift = 0; i < to; i++, shift += 8) {
      const c = s.charCodeAt(i);
      units |= c;
      last |= c << shift;
    }
    out[k++] = last;
    while (k < end) out[k++] = 0;
  }
  return units < 256;
}

/** A hash of the packed key `words[at .. at + 6)`. */
export function hashWords(words: Int32Array, at: number): number {
  let h = 0x811c9dc5;
  for (let k = at; k < at + WORDS; k++) {
    h = Math.imul(h ^ words[k]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/** Whether every key fits a slot. */
export function allInline(keys: readonly string[]): boolean {
  const scratch = new Int32Array(WORDS);
  for (const key of keys) if (!packKey(key, 0, key.length, scratch, 0)) return false;
  return true;
}

/**
 * The slot of the packed key `words[at..)` of `length` chars, or the empty
 * slot where it would go (`slots[slot * 8]` is its value, -1 when empty).
 */
export function findInline(
  slots: Int32Array,
  mask: number,
  words: Int32Array,
  at: number,
  length: number,
  h: number,
): number {
  let s = h & mask;
  for (;;) {
    const a = INLINE_WIDTH * s;
    if (
      slots[a] === -1 ||
      (slots[a + 1] === length &&
        slots[a + 2] === words[at] &&
        slots[a + 3] === words[at + 1] &&
        slots[a + 4] === words[at + 2] &&
        slots[a + 5] === words[at + 3] &&
        slots[a + 6] === words[at + 4] &&
        slots[a + 7] === words[at + 5])
    ) {
      return s;
    }
    s = (s + 1) & mask;
  }
}

/** Slots of `cap` (a power of two) holding `keys[i] → i`, the first of a repeated key winning. */
export function inlineSlots(keys: readonly string[], cap: number): Int32Array {
  const slots = new Int32Array(new SharedArrayBuffer(cap * 4 * INLINE_WIDTH)).fill(-1);
  const words = new Int32Array(WORDS);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    packKey(key, 0, key.length, words, 0);
    const a = INLINE_WIDTH * findInline(slots, cap - 1, words, 0, key.length, hashWords(words, 0));
    if (slots[a] !== -1) continue;
    slots[a] = i;
    slots[a + 1] = key.length;
    slots.set(words, a + 2);
  }
  return slots;
}

/** Scratch of {@link getAllInline}, grown as batches need. */
export class InlineScratch {
  words = new Int32Array(0);
  hashes = new Int32Array(0);
  lengths = new Int32Array(0);

  reserve(n: number): void {
    if (this.hashes.length >= n) return;
    this.words = new Int32Array(WORDS * 2 * n);
    this.hashes = new Int32Array(2 * n);
    this.lengths = new Int32Array(2 * n);
  }
}

/**
 * The values of `keys[0..n)` (whose concatenation is `text`) into `out`, -1
 * for a key not held: packed and hashed first, then each row's slot touched
 * (the cache misses of many rows in flight at once), then resolved. Returns
 * what the touching loads read, for the caller to keep.
 */
export function getAllInline(
  slots: Int32Array,
  mask: number,
  keys: readonly string[],
  text: string,
  n: number,
  out: number[],
  scratch: InlineScratch,
): number {
  scratch.reserve(n);
  const { words, hashes, lengths } = scratch;
  let at = 0;
  for (let r = 0; r < n; r++) {
    const length = keys[r]!.length;
    const end = at + length;
    if (packKey(text, at, end, words, WORDS * r)) {
      hashes[r] = hashWords(words, WORDS * r);
      lengths[r] = length;
    } else {
      lengths[r] = -1;
    }
    at = end;
  }
  let touched = 0;
  for (let r = 0; r < n; r++) touched ^= slots[INLINE_WIDTH * (hashes[r]! & mask)]!;
  for (let r = 0; r < n; r++) {
    const length = lengths[r]!;
    out[r] =
      length < 0
        ? -1
        : slots[INLINE_WIDTH * findInline(slots, mask, words, WORDS * r, length, hashes[r]!)]!;
  }
  return touched;
}
