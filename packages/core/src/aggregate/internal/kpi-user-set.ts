/**
 * A set of positive integer user ids in typed arrays, in one of two forms:
 *
 * - **hash**: an open-addressing table (0 marks an empty slot), ≈ 5–11 bytes
 *   per id. Ids up to 2^32-1 live in a Uint32Array; a larger id widens the
 *   table to a Float64Array once.
 * - **bitmap**: one 8 KiB bitmap per block of 65,536 consecutive ids that
 *   holds any (the containers of Roaring bitmaps, without the array form).
 *
 * A set starts as a hash table and becomes a bitmap when, at a growth step,
 * the bitmaps of its blocks would take no more memory than the grown table —
 * i.e. when ids are dense, as user ids numbered from 1 are. From then on its
 * memory is bounded by the id range, not by how many rows were counted, and
 * an add is one bit test. A bitmap that gets too sparse (fewer than 256 ids
 * per block on average) turns back into a hash table.
 */
import {
  BLOCK_BYTES,
  BLOCK_WORDS,
  bitmapsOf,
  blockOf,
  distinctBlocks,
  forEachBit,
  hashId,
  hashTableOf,
  MIN_IDS_PER_BLOCK,
  NO_BLOCK,
  packBitmaps,
  popcount,
  rehashed,
  sortedBitmapIds,
  unpackBitmaps,
} from './user-id-forms.js';

/** A {@link UserIdSet} as typed arrays (see {@link UserIdSet.toTransfer}). */
export interface UserIdSetTransfer {
  /** The hash table, or the bitmaps of `blocks` one after the other. */
  readonly table: Uint32Array | Float64Array;
  /** Block numbers of a bitmap set; absent for a hash set. */
  readonly blocks?: Float64Array;
  readonly size: number;
}

/** A set of positive integer ids (see the module comment for its two forms). */
export class UserIdSet {
  /** Number of distinct ids. */
  size = 0;
  /** Hash form: the table; bitmap form: empty. */
  private keys: Uint32Array | Float64Array;
  private mask: number;
  /** Bitmap form: block number → its 2,048-word bitmap. */
  private blocks: Map<number, Uint32Array> | undefined;
  /** The block of the last bitmap access (ids of a file cluster). */
  private lastBlock = -1;
  private lastBits: Uint32Array = NO_BLOCK;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** True when the set is held as bitmaps. */
  get isBitmap(): boolean {
    return this.blocks !== undefined;
  }

  /** Adds a positive integer id (at most 2^53-1); returns true when it was new. */
  add(id: number): boolean {
    if (this.blocks !== undefined) {
      const block = blockOf(id);
      let bits = this.lastBits;
      if (block !== this.lastBlock) {
        const found = this.blockBits(block);
        if (found === undefined) return this.add(id); // back to hashing
        bits = found;
      }
      const w = (id & 0xffff) >>> 5;
      const m = 1 << (id & 31);
      const word = bits[w]!;
      if ((word & m) !== 0) return false;
      bits[w] = word | m;
      this.size++;
      return true;
    }
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
    if (this.size * 4 > keys.length * 3) this.grow();
    return true;
  }

  /** True when `id` is in the set. */
  has(id: number): boolean {
    const blocks = this.blocks;
    if (blocks !== undefined) {
      const block = blockOf(id);
      let bits = this.lastBits;
      if (block !== this.lastBlock) {
        const found = blocks.get(block);
        if (found === undefined) return false;
        this.lastBlock = block;
        this.lastBits = found;
        bits = found;
      }
      return (bits[(id & 0xffff) >>> 5]! & (1 << (id & 31))) !== 0;
    }
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

  /** Calls `fn` for every id, in no particular order. */
  forEach(fn: (id: number) => void): void {
    if (this.blocks !== undefined) {
      for (const [block, bits] of this.blocks) forEachBit(block, bits, fn);
      return;
    }
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) fn(k);
    }
  }

  /** The ids, sorted ascending (32-bit ids as 32-bit integers: a faster sort). */
  sorted(): Uint32Array | Float64Array {
    if (this.blocks !== undefined) return sortedBitmapIds(this.blocks, new Float64Array(this.size));
    const keys = this.keys;
    const out =
      keys instanceof Uint32Array ? new Uint32Array(this.size) : new Float64Array(this.size);
    let j = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) out[j++] = k;
    }
    return out.sort();
  }

  /** An independent copy (typed arrays copied, no rehash). */
  clone(): UserIdSet {
    const copy = new UserIdSet(0);
    copy.size = this.size;
    if (this.blocks !== undefined) {
      copy.keys = NO_BLOCK;
      copy.mask = 0;
      copy.blocks = new Map();
      for (const [block, bits] of this.blocks) copy.blocks.set(block, bits.slice());
      return copy;
    }
    copy.keys = this.keys.slice();
    copy.mask = this.mask;
    return copy;
  }

  /** Adds every id of `other` (bitmap into bitmap: word by word). */
  addAll(other: UserIdSet): void {
    if (other.blocks !== undefined && this.blocks === undefined && other.size >= this.size) {
      // Take the bigger (bitmap) side's form, then add this set's ids to it.
      const mine = this.sorted();
      const copy = other.clone();
      this.keys = copy.keys;
      this.mask = copy.mask;
      this.blocks = copy.blocks;
      this.size = copy.size;
      this.lastBlock = -1;
      this.lastBits = NO_BLOCK;
      for (let i = 0; i < mine.length; i++) this.add(mine[i]!);
      return;
    }
    if (other.blocks !== undefined && this.blocks !== undefined) {
      for (const [block, theirs] of other.blocks) {
        const bits = this.blockBits(block);
        if (bits === undefined) {
          // This set went back to hashing.
          other.forEach((id) => {
            this.add(id);
          });
          return;
        }
        let added = 0;
        for (let w = 0; w < BLOCK_WORDS; w++) {
          const a = bits[w]!;
          const fresh = theirs[w]! & ~a;
          if (fresh !== 0) {
            bits[w] = a | fresh;
            added += popcount(fresh);
          }
        }
        this.size += added;
      }
      return;
    }
    other.forEach((id) => {
      this.add(id);
    });
  }

  /** Bytes held by the typed arrays. */
  get byteLength(): number {
    return this.blocks !== undefined ? this.blocks.size * BLOCK_BYTES : this.keys.byteLength;
  }

  /**
   * The set as typed arrays, e.g. to move them to another thread: the hash
   * table itself, or a fresh concatenation of the bitmaps.
   */
  toTransfer(): UserIdSetTransfer {
    if (this.blocks === undefined) return { table: this.keys, size: this.size };
    return { ...packBitmaps(this.blocks), size: this.size };
  }

  /**
   * The set of a {@link toTransfer} result, over its arrays as they are (no
   * rehash, no copy).
   */
  static fromTransfer(data: UserIdSetTransfer): UserIdSet {
    const set = new UserIdSet(0);
    set.size = data.size;
    if (data.blocks === undefined) {
      set.keys = data.table;
      set.mask = data.table.length - 1;
      return set;
    }
    set.keys = NO_BLOCK;
    set.mask = 0;
    set.blocks = unpackBitmaps(data.table as Uint32Array, data.blocks);
    return set;
  }

  /**
   * The bitmap of `block`, created if absent; undefined when creating it made
   * the set too sparse for bitmaps (it is then a hash table again).
   */
  private blockBits(block: number): Uint32Array | undefined {
    const blocks = this.blocks!;
    let bits = blocks.get(block);
    if (bits === undefined) {
      if ((blocks.size + 1) * MIN_IDS_PER_BLOCK > this.size + MIN_IDS_PER_BLOCK) {
        this.toHash();
        return undefined;
      }
      bits = new Uint32Array(BLOCK_WORDS);
      blocks.set(block, bits);
    }
    this.lastBlock = block;
    this.lastBits = bits;
    return bits;
  }

  /** Grows the hash table, or turns it into bitmaps when they are no bigger. */
  private grow(): void {
    const capacity = this.keys.length * 2;
    const grownBytes = capacity * this.keys.BYTES_PER_ELEMENT;
    if (grownBytes >= 2 * BLOCK_BYTES && distinctBlocks(this.keys, grownBytes / BLOCK_BYTES)) {
      this.toBitmap();
      return;
    }
    this.rehash(capacity, this.keys instanceof Float64Array);
  }

  private toBitmap(): void {
    this.blocks = bitmapsOf(this.keys);
    this.keys = NO_BLOCK;
    this.mask = 0;
    this.lastBlock = -1;
    this.lastBits = NO_BLOCK;
  }

  private toHash(): void {
    this.keys = hashTableOf(this.blocks!, this.size);
    this.mask = this.keys.length - 1;
    this.blocks = undefined;
    this.lastBlock = -1;
    this.lastBits = NO_BLOCK;
  }

  private rehash(capacity: number, wide: boolean): void {
    this.keys = rehashed(this.keys, capacity, wide);
    this.mask = capacity - 1;
  }
}
