import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { songsTableFromRows } from '../src/index.js';
import { songsTableData, songsTableFromData } from '../src/pool/internal/table-transfer.js';

const songArb = fc.record({
  track_id: fc.oneof(
    fc.constantFrom('a', 'b', 'c', 'ü', 't\u{1F3B5}'),
    fc.string({ maxLength: 6 }),
  ),
  track_name: fc.oneof(
    fc.constantFrom('', 'One', 'Ωmega', '\u{1F3B5} x'),
    fc.string({ maxLength: 8 }),
  ),
  duration_ms: fc.integer({ min: 0, max: 300_000 }),
  track_genre: fc.constantFrom('pop', 'rock', 'jazz'),
});

describe('table-transfer', () => {
  it('a songs table rebuilt from its shared data (as a worker thread gets it) equals the original', () => {
    fc.assert(
      fc.property(
        fc.array(songArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.string({ maxLength: 6 }), { maxLength: 10 }),
        (rows, probes) => {
          const table = songsTableFromRows(rows);
          // Through a structured clone: shared memory stays shared, strings are not sent.
          const copy = songsTableFromData(structuredClone(songsTableData(table)));
          for (const id of [...rows.map((r) => r.track_id), ...probes]) {
            assert.equal(copy.trackOf(id), table.trackOf(id));
          }
          assert.deepEqual(copy.stats, table.stats);
          assert.equal(copy.tracks, table.tracks);
          const mine = table.trackDictionary();
          const theirs = copy.trackDictionary();
          assert.equal(theirs.size, mine.size);
          assert.equal(theirs.conflicts, mine.conflicts);
          assert.deepEqual([...theirs.pairEntry], [...mine.pairEntry]);
          // Strings are decoded on first use, equal to the original's.
          assert.deepEqual(theirs.trackIds, mine.trackIds);
          assert.deepEqual(theirs.trackNames, mine.trackNames);
          assert.deepEqual(theirs.trackNext, mine.trackNext);
          assert.deepEqual(copy.trackIds, table.trackIds);
          assert.deepEqual(copy.pairName, table.pairName);
          assert.deepEqual(copy.genres, table.genres);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the shared data lives on SharedArrayBuffers', () => {
    const data = songsTableData(
      songsTableFromRows([{ track_id: 'a', track_name: 'A', duration_ms: 1, track_genre: 'pop' }]),
    );
    for (const array of [
      data.pairStart,
      data.pairGenre,
      data.pairDuration,
      data.index.slots,
      data.index.pool,
      data.strings.idStart,
      data.strings.nameUnits,
      data.dictionary.pairEntry,
      data.dictionary.entryTrack,
    ]) {
      assert.ok(array.buffer instanceof SharedArrayBuffer);
    }
  });
});
