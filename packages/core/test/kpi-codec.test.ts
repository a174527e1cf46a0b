import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteReader } from '../src/aggregate/internal/kpi-bytes.js';
import { serializeKpiState, serializeKpiStateByDate } from '../src/aggregate/kpi-codec.js';
import { deserializeKpiState } from '../src/aggregate/kpi-decode.js';
import { kpiStateDates, mergeKpiStates, pickKpiDates } from '../src/aggregate/kpi-merge.js';
import { createKpiState, type KpiState } from '../src/aggregate/kpi-state.js';
import { finalizeKpis, songsTableFromRows } from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS, splitArb } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';

/**
 * One pop track per id (named as its id), listened to once each by user 1
 * on 2024-06-25, `again` once more.
 */
function onePopListenEach(ids: readonly string[], again?: string) {
  const songs = ids.map((id) => ({
    track_id: id,
    track_name: id,
    duration_ms: 1000,
    track_genre: 'pop',
  }));
  const streams = ids.map((id) => ({
    user_id: 1,
    track_id: id,
    listen_time: '2024-06-25 01:00:00',
  }));
  if (again !== undefined) {
    streams.push({ user_id: 1, track_id: again, listen_time: '2024-06-25 02:00:00' });
  }
  return runKpis(songs, streams);
}

/**
 * Serializes a one-genre state (v1), checks that it reads back to the same
 * bytes, and returns a reader at its track count.
 */
function roundTripToTracks(state: KpiState): ByteReader {
  const bytes = serializeKpiState(state);
  assert.deepEqual(serializeKpiState(deserializeKpiState(bytes)), bytes);
  const r = new ByteReader(bytes, bytes.length - 4);
  r.pos = 7;
  r.varint();
  r.skipString();
  return r;
}

describe('kpi-codec', () => {
  it('serialize → deserialize round-trips and is canonical', async () => {
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const bytes = serializeKpiState(state);
    const back = deserializeKpiState(bytes);
    assert.deepEqual(finalizeKpis(back), finalizeKpis(state));
    assert.deepEqual(serializeKpiState(back), bytes);
    assert.deepEqual(kpiStateDates(back), ['2024-06-25', '2024-06-26']);
    const empty = deserializeKpiState(serializeKpiState(createKpiState()));
    assert.deepEqual(finalizeKpis(empty), []);
  });

  it('writes a cell’s track counts ascending by track, counts past 2^32 included', async () => {
    const { state } = await onePopListenEach(['f', 'c', 'a', 'e', 'b', 'd']);
    for (const big of [false, true]) {
      if (big) {
        const cell = [...state.days.values()][0]![0]!;
        cell.tracks.add(state.internTrack('c', 'c'), 2 ** 32);
        cell.listens += 2 ** 32;
      }
      // One genre, six tracks, one day, one cell, one listener: then the pairs.
      const r = roundTripToTracks(state);
      assert.equal(r.varint(), 6);
      for (const id of 'abcdef') assert.deepEqual([r.string(), r.string()], [id, id]);
      assert.deepEqual([r.varint(), r.svarint(), r.varint(), r.varint()], [1, 19899, 1, 0]);
      assert.equal(r.varint(), big ? 2 ** 32 + 6 : 6);
      r.varint();
      assert.deepEqual([r.varint(), r.varint()], [1, 1]);
      assert.equal(r.varint(), 6);
      const pairs = Array.from({ length: 6 }, () => [r.varint(), r.varint()]);
      assert.deepEqual(
        pairs,
        [0, 1, 2, 3, 4, 5].map((t) => [t, t === 2 && big ? 2 ** 32 + 1 : 1]),
      );
    }
  });

  it('writes the track counts of a cell too large for 32-bit sort keys ascending too', async () => {
    // 70,000 tracks take a 131,072-slot table: track numbers from 2^15 on no
    // longer fit above a 17-bit slot index in 32 bits, so the cell sorts as doubles.
    const n = 70_000;
    const ids = Array.from({ length: n }, (_, i) => `t${String((i * 7919) % n).padStart(6, '0')}`);
    const { state } = await onePopListenEach(ids, ids[5]);
    const r = roundTripToTracks(state);
    assert.equal(r.varint(), n);
    let prev = '';
    for (let i = 0; i < n; i++) {
      const id = r.string();
      assert.ok(id > prev);
      prev = id;
      r.skipString();
    }
    assert.deepEqual([r.varint(), r.svarint(), r.varint(), r.varint()], [1, 19899, 1, 0]);
    assert.equal(r.varint(), n + 1);
    r.varint();
    assert.deepEqual([r.varint(), r.varint()], [1, 1]);
    assert.equal(r.varint(), n);
    const twice = ids.slice().sort().indexOf(ids[5]!);
    for (let t = 0; t < n; t++)
      assert.deepEqual([r.varint(), r.varint()], [t, t === twice ? 2 : 1]);
  });

  it('an hll state round-trips byte for byte', async () => {
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS, { uniqueListeners: 'hll' });
    const bytes = serializeKpiState(state);
    const back = deserializeKpiState(bytes);
    assert.equal(back.mode, 'hll');
    assert.deepEqual(serializeKpiState(back), bytes);
    assert.deepEqual(finalizeKpis(back), finalizeKpis(state));
  });

  it('serializeKpiStateByDate gives, per date, the bytes of pickKpiDates + serializeKpiState, for bound, unbound and merged states', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, files }) => {
        const table = songsTableFromRows(songs);
        const states = await Promise.all(
          files.map(async (f) => (await runKpis(songs, f, { table })).state),
        );
        const bound = states[0]!;
        const candidates = [
          bound,
          deserializeKpiState(serializeKpiState(bound)),
          mergeKpiStates(bound, ...states.slice(1)),
        ];
        for (const state of candidates) {
          const byDate = serializeKpiStateByDate(state);
          assert.deepEqual(
            byDate.map((p) => p.date),
            kpiStateDates(state),
          );
          for (const { date, bytes } of byDate) {
            assert.deepEqual(bytes, serializeKpiState(pickKpiDates(state, [date])));
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});
