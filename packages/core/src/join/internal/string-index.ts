/**
 * A read-only string → number index for the join's hot lookup (`track_id` →
 * track number), laid out for few cache misses: one open-addressing table of
 * 16-byte slots `[hash, value, offset, length]` and one pool holding every
 * key's UTF-16 code units back to back. A lookup hashes the probe (whose
 * characters are already in cache), reads one slot and compares against one
 * pool run — about two cache misses, where a `Map` of ~100k strings takes
 * four or more (bucket, entry, key object, key characters).
 */
export class StringIndex {
  private readonly slots: Int32Array;
  private readonly pool: Uint16Array;
  private readonly mask: number;

  /**
   * The index's arrays. They live on `SharedArrayBuffer`s: sent to a worker
   * thread (structured clone), they are shared, not copied.
   */
  get parts(): StringIndexParts {
    return { slots: this.slots, pool: this.pool };
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
      this.mask = parts.slots.length / 4 - 1;
      return;
    }
    let cap = 16;
    while (cap < keys.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(new SharedArrayBuffer(cap * 16)).fill(-1);
    let chars = 0;
    for (const k of keys) chars += k.length;
    this.pool = new Uint16Array(new SharedArrayBuffer(chars * 2));
    let offset = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const h = hashString(key);
      const s = this.find(key, h);
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
    return this.slots[4 * this.find(key, hashString(key)) + 1]!;
  }

  /** The slot holding `key` (hash `h`), or the empty slot where it would go. */
  private find(key: string, h: number): number {
    const slots = this.slots;
    const pool = this.pool;
    const length = key.length;
    let s = h & this.mask;
    for (;;) {
      const at = 4 * s;
      if (slots[at + 1] === -1) return s;
      if (slots[at] === h && slots[at + 3] === length) {
        const offset = slots[at + 2]!;
        let i = 0;
        while (i < length && pool[offset + i] === key.charCodeAt(i)) i++;
        if (i === length) return s;
      }
      s = (s + 1) & this.mask;
    }
  }
}

/**
 * The arrays of a {@link StringIndex}: `slots` of `[hash, value, offset,
 * length]` (`value` -1 = empty) and the `pool` of the keys' UTF-16 code
 * units, first occurrences back to back in key order.
 */
export interface StringIndexParts {
  readonly slots: Int32Array;
  readonly pool: Uint16Array;
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
