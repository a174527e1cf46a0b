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
