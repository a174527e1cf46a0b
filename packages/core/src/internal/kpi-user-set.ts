/**
 * An open-addressing hash set of positive integer user ids in a typed array
 * (0 marks an empty slot). Ids up to 2^32-1 live in a Uint32Array; a larger
 * id widens the table to a Float64Array once. Memory ≈ 5–11 bytes per id.
 */
export class UserIdSet {
  /** Number of distinct ids. */
  size = 0;
  private keys: Uint32Array | Float64Array;
  private mask: number;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds a positive integer id (at most 2^53-1); returns true when it was new. */
  add(id: number): boolean {
    if (id > 0xffffffff && this.keys instanceof Uint32Array) this.rehash(this.keys.length, true);
    const keys = this.keys;
    const mask = this.mask;
    let i = hashId(id) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === id) return false;
      if (k === 0) break;
      i = (i + 1) & mask;
    }
    keys[i] = id;
    this.size++;
    if (this.size * 4 > keys.length * 3) this.rehash(keys.length * 2, keys instanceof Float64Array);
    return true;
  }

  /** True when `id` is in the set. */
  has(id: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let i = hashId(id) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === id) return true;
      if (k === 0) return false;
      i = (i + 1) & mask;
    }
  }

  /** Calls `fn` for every id, in table order. */
  forEach(fn: (id: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) fn(k);
    }
  }

  /** The ids, sorted ascending. */
  sorted(): Float64Array {
    const out = new Float64Array(this.size);
    let j = 0;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) out[j++] = k;
    }
    return out.sort();
  }

  /** An independent copy (typed array copied, no rehash). */
  clone(): UserIdSet {
    const copy = new UserIdSet(0);
    copy.keys = this.keys.slice();
    copy.mask = this.mask;
    copy.size = this.size;
    return copy;
  }

  /** Adds every id of `other` (a plain scan of its table). */
  addAll(other: UserIdSet): void {
    const keys = other.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) this.add(k);
    }
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.keys.byteLength;
  }

  /** The backing hash table (0 = empty slot), e.g. to move it to another thread. */
  get table(): Uint32Array | Float64Array {
    return this.keys;
  }

  /**
   * A set over a {@link table} of another set, taken as is (no rehash):
   * `keys.length` must be a power of two and `size` its non-zero slots.
   */
  static fromTable(keys: Uint32Array | Float64Array, size: number): UserIdSet {
    const set = new UserIdSet(0);
    set.keys = keys;
    set.mask = keys.length - 1;
    set.size = size;
    return set;
  }

  private rehash(capacity: number, wide: boolean): void {
    const old = this.keys;
    const keys = wide ? new Float64Array(capacity) : new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < old.length; j++) {
      const k = old[j]!;
      if (k === 0) continue;
      let i = hashId(k) & mask;
      while (keys[i] !== 0) i = (i + 1) & mask;
      keys[i] = k;
    }
    this.keys = keys;
    this.mask = mask;
  }
}

/** A 32-bit mix of an integer id up to 2^53 (murmur3 finaliser over both halves). */
export function hashId(id: number): number {
  let h = (id | 0) ^ Math.imul((id / 4294967296) | 0, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
