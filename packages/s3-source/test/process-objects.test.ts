import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { processObjects } from '../src/index.js';

describe('processObjects', () => {
  it('never has more than `concurrency` objects in flight and processes each once', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    const outcomes = [];
    for await (const outcome of processObjects({
      objects: Array.from({ length: 50 }, (_, i) => i),
      concurrency: 3,
      process: async (n) => {
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(n);
        active -= 1;
        return n * 2;
      },
    })) {
      outcomes.push(outcome);
    }
    assert.equal(peak, 3);
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(outcomes.filter((o) => o.ok).length, 50);
  });

  it('pulls from the source only as slots free up (no listing the whole bucket first)', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 1_000; i++) {
        pulled += 1;
        yield i;
      }
    }
    const run = processObjects({ objects: source(), concurrency: 4, process: async (n) => n });
    let consumed = 0;
    for await (const _ of run) {
      consumed += 1;
      assert.ok(pulled <= consumed + 4, `pulled ${pulled} with ${consumed} consumed`);
      if (consumed === 10) break;
    }
    assert.ok(pulled <= 14);
  });

  it('reports a failing object as an outcome and goes on with the others', async () => {
    const outcomes = [];
    for await (const o of processObjects({
      objects: ['a', 'bad', 'c'],
      concurrency: 2,
      process: async (s) => {
        if (s === 'bad') throw new Error('boom');
        return s.toUpperCase();
      },
    })) {
      outcomes.push(o);
    }
    const failed = outcomes.filter((o) => !o.ok);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.object, 'bad');
    assert.equal(outcomes.length, 3);
  });

  it('stops pulling when the signal aborts', async () => {
    const controller = new AbortController();
    let started = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of processObjects({
          objects: Array.from({ length: 100 }, (_, i) => i),
          concurrency: 2,
          signal: controller.signal,
          process: async () => {
            started += 1;
            if (started === 5) controller.abort(new Error('halt'));
          },
        })) {
          // consume
        }
      })(),
      /halt/,
    );
    assert.ok(started < 10);
  });

  it('rejects a bad concurrency before any work', async () => {
    await assert.rejects(
      processObjects({ objects: [1], concurrency: 0, process: async () => 1 }).next(),
      OptionsError,
    );
  });
});
