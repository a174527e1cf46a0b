import {
  allInline,
  findInline,
  getAllInline,
  hashWords,
  INLINE_WIDTH,
  InlineScratch,
  inlineSlots,
  packKey,
} from './inline-keys.js';

/**
 * A read-only string → number index for the join's hot lookup (`track_id` →
 * track number), laid out for few cache misses: one open-addressing table of
 * 16-byte slots `[hash, value, offset, length]` and one pool holding every
 * key's UTF-16 code units back to back. A lookup hashes the probe (whose
 * characters are already in cache), reads one slot and compares against one
 * pool run — about two cache misses, where a `Map` of ~100k strings takes
 * four or more (bucket, entry, key object, key characters). When every key
 * is short Latin-1 (ids), the slots hold the keys themselves (32 bytes,
 * inline-keys.ts): one cache miss per lookup. The pool is kept in both
 * layouts: it is the table's copy of the strings.
 */
export class StringIndex {
  private readonly slots: Int32Array;
  private readonly pool: Uint16Array;
  private readonly mask: number;
  /** Ints per slot: {@link POOLED_WIDTH} or {@link INLINE_WIDTH}. */
  private readonly width: number;

  /**
   * The index's arrays. They live on `SharedArrayBuffer`s: sent to a worker
   * thread (structured clone), they are shared, not copied.
   */
  get parts(): StringIndexParts {
    return { slots: this.slots, pool: this.pool, width: this.width };
  }

  /** An index over the {@link StringIndex.parts} of another (no copy). */
  static fromParts(parts: StringIndexParts): StringIndex {
    return new StringIndex(parts);
  }

  /** Indexes `keys[i] → i`; for a repeated key the first index wins. */
  /** Bytes held by the index's typed arrays. */
  get byteLength(): number {
    return this.slots.byteLength + this.pool.byteLength;
  }

  constructor(keys: readonly string[] | StringIndexParts) {
    if (!Array.isArray(keys)) {
      const parts = keys as StringIndexParts;
      this.slots = parts.slots;
      this.pool = parts.pool;
      this.width = parts.width;
      this.mask = parts.slots.length / parts.width - 1;
      return;
    }
    let cap = 16;
    while (cap < keys.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.width = allInline(keys) ? INLINE_WIDTH : POOLED_WIDTH;
    let chars = 0;
    for (const k of keys) chars += k.length;
    this.pool = new Uint16Array(new SharedArrayBuffer(chars * 2));
    if (this.width === INLINE_WIDTH) {
      this.slots = inlineSlots(keys, cap);
      // The pool holds the first occurrences back to back (the table's strings).
      const seen = new Set<string>();
      let offset = 0;
      for (const key of keys) {
        if (seen.has(key)) continue;
        seen.add(key);
        for (let c = 0; c < key.length; c++) this.pool[offset + c] = key.charCodeAt(c);
        offset += key.length;
      }
      return;
    }
    this.slots = new Int32Array(new SharedArrayBuffer(cap * 16)).fill(-1);
    let offset = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const h = hashRange(key, 0, key.length);
      const s = this.find(key, 0, key.length, h);
      if (this.slots[4 * s + 1] !== -1) continue; // a repeated key: the first wins
      for (let c = 0; c < key.length; c++) this.pool[offset + c] = key.charCodeAt(c);
      this.slots[4 * s] = h;
      this.slots[4 * s + 1] = i;
      this.slots[4 * s + 2] = offset;
      this.slots[4 * s + 3] = key.length;
      offset += key.length;
    }
  }

  /** The number of `key`, or -1. */
  get(key: string): number {
    if (this.width === INLINE_WIDTH) {
      const words = this.probe;
      if (!packKey(key, 0, key.length, words, 0)) return -1;
      const h = hashWords(words, 0);
      return this.slots[INLINE_WIDTH * findInline(this.slots, this.mask, words, 0, key.length, h)]!;
    }
    return this.slots[4 * this.find(key, 0, key.length, hashRange(key, 0, key.length)) + 1]!;
  }

  /**
   * The numbers of `keys[0..n)` into `out[0..n)` (-1 for an unknown key), in
   * three passes over the batch so that memory latency overlaps instead of
   * adding up row by row: the keys are copied into one flat string (reading
   * characters of the parser's sliced strings one by one costs several times
   * more) and hashed; then each row's slot and key run are touched with a
   * few instructions per row, so many cache misses are in flight at once;
   * then each row is resolved against lines already in cache.
   */
  getAll(keys: readonly string[], n: number, out: number[]): void {
    if (n === 0) return;
    const text = (keys.length === n ? keys : keys.slice(0, n)).join('');
    if (this.width === INLINE_WIDTH) {
      this.touched = getAllInline(this.slots, this.mask, keys, text, n, out, this.scratch);
      return;
    }
    if (this.starts.length <= n) {
      this.starts = new Int32Array(2 * n + 1);
      this.hashes = new Int32Array(2 * n);
    }
    const starts = this.starts;
    const hashes = this.hashes;
    let at = 0;
    for (let r = 0; r < n; r++) {
      const end = at + keys[r]!.length;
      starts[r] = at;
      hashes[r] = hashRange(text, at, end);
      at = end;
    }
    starts[n] = at;
    const slots = this.slots;
    const pool = this.pool;
    const mask = this.mask;
    let touched = 0;
    if (pool.length > 0) {
      for (let r = 0; r < n; r++) {
        const at = 4 * (hashes[r]! & mask);
        const first = slots[at + 2]!;
        const last = first + slots[at + 3]! - 1;
        // An empty slot has offset and length -1: touch the pool's start instead.
        touched ^= pool[Math.max(first, 0)]! ^ pool[Math.max(last, 0)]!;
      }
    }
    this.touched = touched;
    for (let r = 0; r < n; r++) {
      const from = starts[r]!;
      out[r] = slots[4 * this.find(text, from, starts[r + 1]! - from, hashes[r]!) + 1]!;
    }
  }

  /** Scratch of {@link getAll} in the key-in-slot layout. */
  private readonly scratch = new InlineScratch();
  /** The packed key of {@link get} in the key-in-slot layout. */
  private readonly probe = new Int32Array(INLINE_WIDTH);
  /** Scratch of {@link getAll}: where each key starts in the batch's text, and its hash. */
  private starts = new Int32Array(0);
  private hashes = new Int32Array(0);
  /**
   * What {@link getAll}'s touching loads read, kept so that they are not
   * optimised away. @internal
   */
  touched = 0;

  /**
   * The slot holding the key `text[from..from + length)` (hash `h`), or the
   * empty slot where it would go.
   */
  private find(text: string, from: number, length: number, h: number): number {
    const slots = this.slots;
    const pool = this.pool;
    let s = h & this.mask;
    for (;;) {
      const at = 4 * s;
      if (slots[at + 1] === -1) return s;
      if (slots[at] === h && slots[at + 3] === length) {
        const offset = slots[at + 2]! - from;
        let i = from;
        const end = from + length;
        while (i < end && pool[offset + i] === text.charCodeAt(i)) i++;
        if (i === end) return s;
      }
      s = (s + 1) & this.mask;
    }
  }
}

/**
 * The arrays of a {@link StringIndex}: the `pool` of the keys' UTF-16 code
 * units, first occurrences back to back in key order, and `slots` of
 * `width` ints each: {@link POOLED_WIDTH}, `[hash, value, offset, length]`
 * of a run of the pool (`value` -1 = empty), or {@link INLINE_WIDTH},
 * `[value, length, key bytes]` (see inline-keys.ts; `value` -1 = empty).
 */
export interface StringIndexParts {
  readonly slots: Int32Array;
  readonly pool: Uint16Array;
  readonly width: number;
}

/** Ints per slot of the pooled layout. */
export const POOLED_WIDTH = 4;

/** FNV-1a over the UTF-16 code units `s[from..to)`, then a murmur3 finaliser. */
function hashRange(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
