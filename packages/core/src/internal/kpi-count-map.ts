/**
 * An open-addressing map from non-negative int32 keys (interned track ids) to
 * listen counts, in typed arrays. Keys are stored +1 so 0 marks an empty slot.
 */
export class CountMap {
  /** Number of distinct keys. */
  size = 0;
  private keys: Int32Array;
  private counts: Float64Array;
  private mask: number;

  constructor(capacity = 4) {
    let cap = 4;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Int32Array(cap);
    this.counts = new Float64Array(cap);
    this.mask = cap - 1;
  }

  /** Adds `by` to the count of `key`. */
  add(key: number, by: number): void {
    const stored = key + 1;
    const keys = this.keys;
    const mask = this.mask;
    let i = Math.imul(stored, 0x9e3779b1) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === stored) {
        this.counts[i]! += by;
        return;
      }
      if (k === 0) break;
      i = (i + 1) & mask;
    }
    keys[i] = stored;
    this.counts[i] = by;
    this.size++;
    if (this.size * 4 > keys.length * 3) this.grow();
  }

  /** The count of `key` (0 when absent). */
  get(key: number): number {
    const stored = key + 1;
    const keys = this.keys;
    const mask = this.mask;
    let i = Math.imul(stored, 0x9e3779b1) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === stored) return this.counts[i]!;
      if (k === 0) return 0;
      i = (i + 1) & mask;
    }
  }

  /** Calls `fn(key, count)` for every entry. */
  forEach(fn: (key: number, count: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) fn(k - 1, this.counts[i]!);
    }
  }

  /** An independent copy (typed arrays copied, no rehash). */
  clone(): CountMap {
    const copy = new CountMap(0);
    copy.keys = this.keys.slice();
    copy.counts = this.counts.slice();
    copy.mask = this.mask;
    copy.size = this.size;
    return copy;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.keys.byteLength + this.counts.byteLength;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const cap = oldKeys.length * 2;
    const keys = new Int32Array(cap);
    const counts = new Float64Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j]!;
      if (k === 0) continue;
      let i = Math.imul(k, 0x9e3779b1) & mask;
      while (keys[i] !== 0) i = (i + 1) & mask;
      keys[i] = k;
      counts[i] = oldCounts[j]!;
    }
    this.keys = keys;
    this.counts = counts;
    this.mask = mask;
  }
}
