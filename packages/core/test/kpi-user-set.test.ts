import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UserIdSet } from '../src/aggregate/internal/kpi-user-set.js';

/** Ids drawn like real data: dense from 1, clustered far away, sparse, beyond 2^32. */
const idArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 70_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 4_000_000_000, max: 4_000_200_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
);
const idsArb = fc.oneof(
  fc.array(idArb, { maxLength: 200 }),
  // Big enough to turn into bitmaps (and, with sparse ids, back).
  fc
    .tuple(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1000, max: 9000 }))
    .map(([start, n]) => Array.from({ length: n }, (_, i) => start + ((i * 7919) % (n * 2)))),
  fc
    .tuple(fc.array(idArb, { maxLength: 50 }), fc.integer({ min: 0, max: 6000 }))
    .map(([a, n]) => [...Array.from({ length: n }, (_, i) => i + 1), ...a]),
);

function setOf(ids: readonly number[]): UserIdSet {
  const set = new UserIdSet();
  for (const id of ids) set.add(id);
  return set;
}

function expected(...lists: (readonly number[])[]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

describe('kpi-user-set', () => {
  it('UserIdSet holds exactly the ids added, in either form, like a Set', () => {
    fc.assert(
      fc.property(idsArb, fc.array(idArb, { maxLength: 30 }), (ids, probes) => {
        const set = new UserIdSet();
        const model = new Set<number>();
        for (const id of ids) {
          assert.equal(set.add(id), !model.has(id));
          model.add(id);
        }
        assert.equal(set.size, model.size);
        assert.deepEqual([...set.sorted()], expected(ids));
        const seen: number[] = [];
        set.forEach((id) => {
          seen.push(id);
        });
        assert.deepEqual(
          seen.sort((a, b) => a - b),
          expected(ids),
        );
        for (const id of [...probes, ...ids.slice(0, 30)]) assert.equal(set.has(id), model.has(id));
      }),
      { numRuns: 150 },
    );
  });

  it('UserIdSet addAll, clone and the transfer form agree with a Set for every mix of forms', () => {
    fc.assert(
      fc.property(idsArb, idsArb, (a, b) => {
        const left = setOf(a);
        const right = setOf(b);
        const copy = left.clone();
        copy.addAll(right);
        assert.deepEqual([...copy.sorted()], expected(a, b));
        assert.equal(copy.size, expected(a, b).length);
        // The clone is independent of its source.
        assert.deepEqual([...left.sorted()], expected(a));
        const moved = UserIdSet.fromTransfer(structuredClone(copy.toTransfer()));
        assert.equal(moved.isBitmap, copy.isBitmap);
        assert.deepEqual([...moved.sorted()], expected(a, b));
        moved.add(1);
        assert.deepEqual([...moved.sorted()], expected(a, b, [1]));
      }),
      { numRuns: 150 },
    );
  });

  it('dense ids become 8 KiB bitmaps: memory stops growing with the number of ids', () => {
    const set = new UserIdSet();
    for (let id = 1; id <= 1500; id++) set.add(id);
    assert.equal(set.isBitmap, false);
    for (let id = 1501; id <= 60_000; id++) set.add(id);
    assert.equal(set.isBitmap, true);
    assert.equal(set.byteLength, 8192);
    assert.equal(set.size, 60_000);
  });

  it('sparse ids stay hashed, and a bitmap set that turns sparse goes back to hashing', () => {
    const sparse = new UserIdSet();
    for (let i = 1; i <= 5000; i++) sparse.add(i * 1_000_003);
    assert.equal(sparse.isBitmap, false);
    const set = new UserIdSet();
    for (let id = 1; id <= 3000; id++) set.add(id);
    assert.equal(set.isBitmap, true);
    for (let i = 1; i <= 100; i++) set.add(i * 10_000_019);
    assert.equal(set.isBitmap, false);
    assert.equal(set.size, 3100);
    assert.equal(set.has(10_000_019 * 100), true);
    assert.equal(set.has(3001), false);
  });
});
