/**
 * An open-addressing map from non-negative int32 keys (interned track ids) to
 * listen counts, in one typed array of `[key + 1, count]` slots (0 marks an
 * empty slot) so that an update touches one cache line, not two.
 *
 * Slots are 32-bit (8 bytes a key) while every count fits in 32 bits; a
 * count that would pass 2^32 - 1 widens the table to 64-bit floats once
 * (exact up to 2^53), so no count is ever wrong.
 */
export class CountMap {
  /** Number of distinct keys. */
  size = 0;
  private slots: Uint32Array | Float64Array;
  private mask: number;

  constructor(capacity = 4) {
    let cap = 4;
    while (cap < capacity * 2) cap *= 2;
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** The slot of `stored` (`key + 1`): where it is, or the empty slot where it goes. */
  private slotOf(stored: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = Math.imul(stored, 0x9e3779b1) & mask;
    for (;;) {
      const k = slots[2 * i]!;
      if (k === stored || k === 0) return i;
      i = (i + 1) & mask;
    }
  }

  /** Adds `by` to the count of `key`. */
  add(key: number, by: number): void {
    const stored = key + 1;
    const slots = this.slots;
    const i = this.slotOf(stored);
    const found = slots[2 * i] === stored;
    const count = found ? slots[2 * i + 1]! + by : by;
    if (count > 0xffffffff && slots instanceof Uint32Array) {
      this.widen();
      this.add(key, by);
      return;
    }
    slots[2 * i + 1] = count;
    if (found) return;
    slots[2 * i] = stored;
    this.size++;
    if (this.size * 4 > (this.mask + 1) * 3) this.grow();
  }

  /** Makes room for `more` new keys at once (one rehash instead of one per doubling). */
  reserve(more: number): void {
    let cap = this.mask + 1;
    while ((this.size + more) * 4 > cap * 3) cap *= 2;
    if (cap > this.mask + 1) this.grow(cap);
  }

  /** The count of `key` (0 when absent). */
  get(key: number): number {
    const stored = key + 1;
    const i = this.slotOf(stored);
    return this.slots[2 * i] === stored ? this.slots[2 * i + 1]! : 0;
  }

  /** Calls `fn(key, count)` for every entry. */
  forEach(fn: (key: number, count: number) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2) {
      const k = slots[i]!;
      if (k !== 0) fn(k - 1, slots[i + 1]!);
    }
  }

  /** An independent copy (typed array copied, no rehash). */
  clone(): CountMap {
    const copy = new CountMap(0);
    copy.slots = this.slots.slice();
    copy.mask = this.mask;
    copy.size = this.size;
    return copy;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  /** The backing `[key + 1, count]` slots, e.g. to move them to another thread. */
  get table(): Uint32Array | Float64Array {
    return this.slots;
  }

  /**
   * A map over a {@link table} of another map, taken as is (no rehash):
   * `slots.length / 2` must be a power of two and `size` its used slots.
   */
  static fromTable(slots: Uint32Array | Float64Array, size: number): CountMap {
    const map = new CountMap(0);
    map.slots = slots;
    map.mask = slots.length / 2 - 1;
    map.size = size;
    return map;
  }

  /** Same slots as 64-bit floats (a count is about to pass 2^32 - 1). */
  private widen(): void {
    this.slots = Float64Array.from(this.slots);
  }

  private grow(cap = (this.mask + 1) * 2): void {
    const old = this.slots;
    const slots = old instanceof Uint32Array ? new Uint32Array(cap * 2) : new Float64Array(cap * 2);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const k = old[j]!;
      if (k === 0) continue;
      let i = Math.imul(k, 0x9e3779b1) & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = k;
      slots[2 * i + 1] = old[j + 1]!;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
