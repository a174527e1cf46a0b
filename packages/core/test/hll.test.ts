import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HyperLogLog } from '../src/aggregate/hll.js';

const SIGMA = 1.04 / Math.sqrt(4096);

describe('hll', () => {
  it('estimates 100k distinct ids within 4 standard errors (≈6.5 %) at precision 12', () => {
    for (const offset of [1, 1_000_000, 4_294_000_000]) {
      const hll = new HyperLogLog(12);
      for (let id = offset; id < offset + 100_000; id++) hll.add(id);
      const error = Math.abs(hll.estimate() - 100_000) / 100_000;
      assert.ok(error < 4 * SIGMA, `offset ${offset}: relative error ${error}`);
    }
  });

  it('small cardinalities are near exact and duplicates do not count', () => {
    const hll = new HyperLogLog();
    for (let i = 0; i < 3; i++) for (let id = 1; id <= 50; id++) hll.add(id);
    assert.equal(Math.round(hll.estimate()), 50);
  });

  it('merging sketches estimates the union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let id = 1; id <= 60_000; id++) a.add(id);
    for (let id = 40_001; id <= 100_000; id++) b.add(id);
    const merged = a.clone();
    merged.merge(b);
    assert.ok(Math.abs(merged.estimate() - 100_000) / 100_000 < 4 * SIGMA);
    assert.throws(() => a.merge(new HyperLogLog(10)), /precision/);
    assert.throws(() => new HyperLogLog(3), /precision/);
  });
});
