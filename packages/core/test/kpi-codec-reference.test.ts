import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteReader, crc32 } from '../src/aggregate/internal/kpi-bytes.js';
import { serializeKpiState, serializeKpiStateByDate } from '../src/aggregate/kpi-codec.js';
import { deserializeKpiState } from '../src/aggregate/kpi-decode.js';
import { mergeKpiStates } from '../src/aggregate/kpi-merge.js';
import { KpiState } from '../src/aggregate/kpi-state.js';
import {
  finalizeKpis,
  mergeKpiStateInto,
  PipelineError,
  type SongRow,
  type StreamRow,
  songsTableFromRows,
} from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS, songArb, splitArb } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';

const isCode = (code: string) => (e: unknown) => e instanceof PipelineError && e.code === code;
const REF = { trackDictionary: 'reference' } as const;

describe('kpi-codec, format v2 (track dictionary by reference)', () => {
  it('reads back as v1 does, with the same table or another one (stored dictionary), and is canonical', async () => {
    await fc.assert(
      fc.asyncProperty(
        splitArb,
        fc.array(songArb, { minLength: 1, maxLength: 10 }),
        async ({ songs, files, order }, otherSongs) => {
          const table = songsTableFromRows(songs);
          const parts = await Promise.all(
            files.map(async (f) => (await runKpis(songs, f, { table })).state),
          );
          const state = mergeKpiStates(parts[0]!, ...parts.slice(1));
          const v1 = serializeKpiState(state);
          const v2 = serializeKpiState(state, REF);
          if (state.trackOrigin === undefined) {
            // Nothing aggregated, nothing bound: v1.
            assert.deepEqual(v2, v1);
            return;
          }
          assert.equal(v2[4], 2);
          const { id, bytes: dictionary } = table.kpiTrackDictionary();
          assert.equal(KpiState.referencedDictionaryId(v2), id);
          assert.equal(KpiState.referencedDictionaryId(v1), undefined);
          // The same table: positions map to its entries, no dictionary bytes needed.
          const back = deserializeKpiState(v2, { songs: table });
          assert.deepEqual(serializeKpiState(back), v1);
          assert.deepEqual(serializeKpiState(back, REF), v2);
          assert.deepEqual(finalizeKpis(back), finalizeKpis(state));
          // Canonical: the parts merged in another order give the same bytes.
          const reordered = order.map((i) => parts[i]!);
          const again = mergeKpiStates(reordered[0]!, ...reordered.slice(1));
          assert.deepEqual(serializeKpiState(again, REF), v2);
          // Another table (songs changed) or none: the stored dictionary's entries.
          const other = songsTableFromRows([...otherSongs, ...songs.slice(0, 2)]);
          const dictionaries = new Map([[id, dictionary]]);
          const viaOther = deserializeKpiState(v2, { songs: other, dictionaries });
          const viaOtherV1 = deserializeKpiState(v1, { songs: other });
          assert.deepEqual(serializeKpiState(viaOther), v1);
          assert.deepEqual(finalizeKpis(viaOther), finalizeKpis(viaOtherV1));
          const local = (await runKpis(otherSongs, files[0] ?? [], { table: other })).state;
          mergeKpiStateInto(viaOther, local);
          mergeKpiStateInto(viaOtherV1, local);
          assert.deepEqual(serializeKpiState(viaOther), serializeKpiState(viaOtherV1));
          // Wholly bound to `other` or not (extra entries: then v1), it reads back.
          const otherRef = serializeKpiState(viaOther, REF);
          const otherDictionaries = new Map([
            ...dictionaries,
            [other.kpiTrackDictionary().id, other.kpiTrackDictionary().bytes],
          ]);
          assert.deepEqual(
            serializeKpiState(deserializeKpiState(otherRef, { dictionaries: otherDictionaries })),
            serializeKpiState(viaOther),
          );
          assert.deepEqual(serializeKpiState(deserializeKpiState(v2, { dictionaries })), v1);
          // Per date: each partial reads back to the v1 partial.
          const byDate = serializeKpiStateByDate(state);
          const byDateV2 = serializeKpiStateByDate(state, REF);
          assert.deepEqual(
            byDateV2.map((p) => p.date),
            byDate.map((p) => p.date),
          );
          byDateV2.forEach((p, i) => {
            assert.equal(p.bytes[4], 2);
            const read = deserializeKpiState(p.bytes, { songs: other, dictionaries });
            assert.deepEqual(serializeKpiState(read), byDate[i]!.bytes);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an unbound state is written as v1 even when asked for v2; v1 bytes read as before', async () => {
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const v1 = serializeKpiState(state);
    const unbound = deserializeKpiState(v1);
    assert.deepEqual(serializeKpiState(unbound, REF), v1);
    const table = songsTableFromRows(FIXED_SONGS);
    const dictionaries = new Map([[table.kpiTrackDictionary().id, new Uint8Array(3)]]);
    assert.deepEqual(
      serializeKpiState(deserializeKpiState(v1, { songs: table, dictionaries })),
      v1,
    );
  });

  it('a dictionary neither bound nor given, or stored corrupt, fails with its specific code', async () => {
    const table = songsTableFromRows(FIXED_SONGS);
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS, { table });
    const v2 = serializeKpiState(state, REF);
    const { id, bytes } = table.kpiTrackDictionary();
    assert.match(id, /^[0-9a-f]{32}$/);
    // Content-addressed: an equal table has the same id and bytes.
    assert.deepEqual(songsTableFromRows(FIXED_SONGS).kpiTrackDictionary(), { id, bytes });
    const other = songsTableFromRows([FIXED_SONGS[0]!]);
    assert.notEqual(other.kpiTrackDictionary().id, id);
    const missing = (e: unknown) =>
      isCode('KPI_STATE_DICTIONARY_MISSING')(e) && String(e).includes(id);
    assert.throws(() => deserializeKpiState(v2), missing);
    assert.throws(() => deserializeKpiState(v2, { songs: other }), missing);
    const read = (stored: Uint8Array) => () =>
      deserializeKpiState(v2, { songs: other, dictionaries: new Map([[id, stored]]) });
    const flipped = bytes.slice();
    flipped[8] = flipped[8]! ^ 0x01;
    assert.throws(read(flipped), isCode('KPI_STATE_CORRUPT'));
    assert.throws(read(bytes.slice(0, bytes.length - 2)), isCode('KPI_STATE_CORRUPT'));
    assert.throws(read(new Uint8Array(0)), isCode('KPI_STATE_CORRUPT'));
    // Well-formed, but another dictionary's bytes under this id.
    assert.throws(read(other.kpiTrackDictionary().bytes), /another id/);
    assert.ok(read(bytes)().days.size > 0);
    // A position past the dictionary's end (checksum fixed up).
    const r = new ByteReader(v2, v2.length - 4);
    r.pos = 23;
    for (let g = r.varint(); g > 0; g--) r.skipString();
    r.varint();
    const past = v2.slice();
    past[r.pos] = 100;
    new DataView(past.buffer).setUint32(past.length - 4, crc32(past.subarray(0, -4)), true);
    assert.throws(() => deserializeKpiState(past, { songs: table }), /bad track position/);
    assert.throws(
      () => deserializeKpiState(past, { songs: other, dictionaries: new Map([[id, bytes]]) }),
      /bad track position/,
    );
  });

  it('is much smaller than v1 for a state of a realistic songs table', async () => {
    const songs: SongRow[] = [];
    for (let t = 0; t < 4000; t++) {
      songs.push({
        track_id: `${(t * 2654435761) % 4294967296}`.padStart(22, '0'),
        track_name: `Track number ${t} (remastered)`,
        duration_ms: 180_000 + t,
        track_genre: ['pop', 'rock', 'jazz', 'folk'][t % 4]!,
      });
    }
    const streams: StreamRow[] = [];
    for (let i = 0; i < 20_000; i++) {
      streams.push({
        user_id: (i * 7919) % 3000,
        track_id: songs[(i * 104729) % songs.length]!.track_id,
        listen_time: `2024-06-2${5 + (i % 2)} 0${i % 10}:00:00`,
      });
    }
    const table = songsTableFromRows(songs);
    const { state } = await runKpis(songs, streams, { table });
    const v1 = serializeKpiStateByDate(state);
    const v2 = serializeKpiStateByDate(state, REF);
    for (let i = 0; i < v1.length; i++) {
      const ratio = v2[i]!.bytes.length / v1[i]!.bytes.length;
      assert.ok(ratio < 0.5, `v2/v1 = ${ratio.toFixed(3)}`);
    }
  });
});
