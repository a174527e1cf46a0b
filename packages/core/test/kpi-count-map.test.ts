import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CountMap } from '../src/aggregate/internal/kpi-count-map.js';

describe('kpi-count-map', () => {
  it('CountMap counts like a Map, through growth, clone and its table', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 1000 })), {
          maxLength: 400,
        }),
        (adds) => {
          const map = new CountMap();
          const model = new Map<number, number>();
          for (const [key, by] of adds) {
            map.add(key, by);
            model.set(key, (model.get(key) ?? 0) + by);
          }
          assert.equal(map.size, model.size);
          for (const [key, count] of model) assert.equal(map.get(key), count);
          assert.equal(map.get(5001), 0);
          const seen = new Map<number, number>();
          CountMap.fromTable(map.clone().table, map.size).forEach((k, c) => {
            seen.set(k, c);
          });
          assert.deepEqual(
            [...seen].sort((a, b) => a[0] - b[0]),
            [...model].sort((a, b) => a[0] - b[0]),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a count past 2^32 - 1 widens the table instead of wrapping', () => {
    const map = new CountMap();
    map.add(7, 0xffffffff);
    map.add(3, 1);
    assert.ok(map.table instanceof Uint32Array);
    map.add(7, 2);
    assert.ok(map.table instanceof Float64Array);
    assert.equal(map.get(7), 0x100000001);
    assert.equal(map.get(3), 1);
    map.add(9, 2 ** 40);
    assert.equal(map.get(9), 2 ** 40);
    for (let k = 10; k < 100; k++) map.add(k, k);
    assert.equal(map.get(7), 0x100000001);
    assert.equal(map.get(99), 99);
    const fresh = new CountMap();
    fresh.add(1, 2 ** 33);
    assert.equal(fresh.get(1), 2 ** 33);
  });

  it('reserve makes room for that many new keys at once, and keeps every count', () => {
    const map = new CountMap();
    map.add(7, 3);
    map.reserve(1000);
    // Room for 1001 keys at 3/4 load: 2048 slots of two 32-bit words.
    assert.equal(map.byteLength, 2048 * 2 * 4);
    for (let k = 0; k < 1000; k++) map.add(k, k + 1);
    assert.equal(map.byteLength, 2048 * 2 * 4); // no growth while filling
    assert.equal(map.size, 1000);
    assert.equal(map.get(7), 3 + 8);
    assert.equal(map.get(999), 1000);
    map.reserve(0);
    assert.equal(map.byteLength, 2048 * 2 * 4);
  });
});
