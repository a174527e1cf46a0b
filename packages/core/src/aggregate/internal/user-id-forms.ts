/**
 * The two forms of a user id set and the conversions between them: bitmap
 * blocks (constants, bit walks) and the open-addressing hash table (the id
 * hash, rehashing).
 */

/** Ids per bitmap block. */
export const BLOCK_IDS = 65_536;
/** 32-bit words per bitmap block (8 KiB). */
export const BLOCK_WORDS = BLOCK_IDS / 32;
export const BLOCK_BYTES = BLOCK_WORDS * 4;
/** A bitmap holding fewer ids than this per block on average goes back to hashing. */
export const MIN_IDS_PER_BLOCK = 256;

export const NO_BLOCK = new Uint32Array(0);

/** The block number of `id`. */
export function blockOf(id: number): number {
  return id > 0xffffffff ? Math.floor(id / BLOCK_IDS) : id >>> 16;
}

/** Set bits of a 32-bit word. */
export function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** True when the ids of hash table `keys` fall in at most `limit` blocks. */
export function distinctBlocks(keys: Uint32Array | Float64Array, limit: number): boolean {
  const seen = new Set<number>();
  for (let j = 0; j < keys.length; j++) {
    const id = keys[j]!;
    if (id === 0) continue;
    seen.add(blockOf(id));
    if (seen.size > limit) return false;
  }
  return true;
}

/** Calls `fn` for every id of bitmap `bits` of `block`, ascending. */
export function forEachBit(block: number, bits: Uint32Array, fn: (id: number) => void): void {
  const base = block * BLOCK_IDS;
  for (let w = 0; w < BLOCK_WORDS; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const low = word & -word;
      fn(base + w * 32 + (31 - Math.clz32(low)));
      word ^= low;
    }
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

/** The bitmap blocks holding the ids of hash table `keys`. */
export function bitmapsOf(keys: Uint32Array | Float64Array): Map<number, Uint32Array> {
  const blocks = new Map<number, Uint32Array>();
  for (let j = 0; j < keys.length; j++) {
    const id = keys[j]!;
    if (id === 0) continue;
    const block = blockOf(id);
    let bits = blocks.get(block);
    if (bits === undefined) {
      bits = new Uint32Array(BLOCK_WORDS);
      blocks.set(block, bits);
    }
    bits[(id & 0xffff) >>> 5]! |= 1 << (id & 31);
  }
  return blocks;
}

/** A hash table (at most 3/4 full) holding the `size` ids of bitmap `blocks`. */
export function hashTableOf(
  blocks: Map<number, Uint32Array>,
  size: number,
): Uint32Array | Float64Array {
  let cap = 8;
  while (cap * 3 < size * 4 + 4) cap *= 2;
  let wide = false;
  for (const block of blocks.keys()) if (block >= BLOCK_IDS) wide = true;
  const keys = wide ? new Float64Array(cap) : new Uint32Array(cap);
  const mask = cap - 1;
  for (const [block, bits] of blocks) {
    forEachBit(block, bits, (id) => {
      let i = hashId(id) & mask;
      while (keys[i] !== 0) i = (i + 1) & mask;
      keys[i] = id;
    });
  }
  return keys;
}

/** The ids of hash table `old` in a new table of `capacity` slots (64-bit when `wide`). */
export function rehashed(
  old: Uint32Array | Float64Array,
  capacity: number,
  wide: boolean,
): Uint32Array | Float64Array {
  const keys = wide ? new Float64Array(capacity) : new Uint32Array(capacity);
  const mask = capacity - 1;
  for (let j = 0; j < old.length; j++) {
    const k = old[j]!;
    if (k === 0) continue;
    let i = hashId(k) & mask;
    while (keys[i] !== 0) i = (i + 1) & mask;
    keys[i] = k;
  }
  return keys;
}

/** Fills `out` with the ids of bitmap `blocks`, ascending; returns `out`. */
export function sortedBitmapIds(blocks: Map<number, Uint32Array>, out: Float64Array): Float64Array {
  let j = 0;
  for (const block of [...blocks.keys()].sort((a, b) => a - b)) {
    forEachBit(block, blocks.get(block)!, (id) => {
      out[j++] = id;
    });
  }
  return out;
}

/** The bitmaps one after the other in a fresh array, with their block numbers. */
export function packBitmaps(blocks: Map<number, Uint32Array>): {
  table: Uint32Array;
  blocks: Float64Array;
} {
  const numbers = new Float64Array(blocks.size);
  const table = new Uint32Array(blocks.size * BLOCK_WORDS);
  let b = 0;
  for (const [block, bits] of blocks) {
    numbers[b] = block;
    table.set(bits, b * BLOCK_WORDS);
    b++;
  }
  return { table, blocks: numbers };
}

/** The bitmaps of a {@link packBitmaps} result, as views of its table (no copy). */
export function unpackBitmaps(table: Uint32Array, numbers: Float64Array): Map<number, Uint32Array> {
  const blocks = new Map<number, Uint32Array>();
  for (let b = 0; b < numbers.length; b++) {
    blocks.set(numbers[b]!, table.subarray(b * BLOCK_WORDS, (b + 1) * BLOCK_WORDS));
  }
  return blocks;
}
