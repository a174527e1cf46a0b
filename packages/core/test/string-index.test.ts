import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StringIndex } from '../src/join/internal/string-index.js';

describe('string-index', () => {
  it('StringIndex answers like a Map of first occurrences, for any strings', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('', 'a', 'ab', 't\u{1F3B5}', '\uD800'),
    );
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 200 }),
        fc.array(key, { maxLength: 50 }),
        (keys, probes) => {
          const index = new StringIndex(keys);
          const map = new Map<string, number>();
          keys.forEach((k, i) => {
            if (!map.has(k)) map.set(k, i);
          });
          for (const k of [...keys, ...probes]) assert.equal(index.get(k), map.get(k) ?? -1);
          // A batch: the first n probes (of a longer column), in one call.
          const batch = [...probes, ...keys];
          const n = Math.min(batch.length, probes.length + Math.floor(keys.length / 2));
          const out: number[] = [];
          index.getAll(batch, n, out);
          assert.deepEqual(
            out,
            batch.slice(0, n).map((k) => map.get(k) ?? -1),
          );
        },
      ),
    );
  });

  it('StringIndex answers alike in both layouts, also rebuilt from its parts', () => {
    // Short Latin-1 keys are held in the slots; one longer or wider key sends all to the pool.
    const key = fc.oneof(
      fc.string({
        unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
        maxLength: 26,
      }),
      fc.constantFrom('', 'x', 'xy', 'ANDkdYrwv4R9ejjSWnhfDU', 'ANDkdYrwv4R9ejjSWnhfDU\u0000'),
    );
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 100 }),
        fc.array(key, { maxLength: 50 }),
        (keys, probes) => {
          const index = new StringIndex(keys);
          const inline = keys.every((k) => k.length <= 24);
          assert.equal(index.parts.width, inline ? 8 : 4);
          const again = StringIndex.fromParts(index.parts);
          const expected = (k: string) => keys.indexOf(k);
          const batch = [...probes, ...keys];
          const out: number[] = [];
          again.getAll(batch, batch.length, out);
          assert.deepEqual(out, batch.map(expected));
          for (const k of batch) assert.equal(index.get(k), expected(k));
          // The pool holds the distinct keys back to back, in first-seen order.
          const distinct = [...new Set(keys)].join('');
          const pool = index.parts.pool.subarray(0, distinct.length);
          assert.equal(String.fromCharCode(...pool), distinct);
        },
      ),
    );
  });

  it('StringIndex finds probes cut from a larger string (as tokenizer cells are)', () => {
    const keys = Array.from(
      { length: 5000 },
      (_, i) => `track-${i.toString(36).padStart(16, '0')}`,
    );
    const index = new StringIndex(keys);
    const text = keys.join(',');
    let from = 0;
    keys.forEach((k, i) => {
      assert.equal(index.get(text.slice(from, from + k.length)), i);
      from += k.length + 1;
    });
    assert.equal(index.get('track-unknown'), -1);
  });
});
