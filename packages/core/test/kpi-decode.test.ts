import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { serializeKpiState } from '../src/aggregate/kpi-codec.js';
import { deserializeKpiState } from '../src/aggregate/kpi-decode.js';
import { mergeKpiStateInto, mergeKpiStates } from '../src/aggregate/kpi-merge.js';
import { createKpiState } from '../src/aggregate/kpi-state.js';
import { finalizeKpis, PipelineError, songsTableFromRows } from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS, songArb, splitArb } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';

const isCode = (code: string) => (e: unknown) => e instanceof PipelineError && e.code === code;

describe('kpi-decode', () => {
  it('a state read bound to a songs table equals the unbound read and merges with that table’s states, even with tracks the table lacks', async () => {
    await fc.assert(
      fc.asyncProperty(
        splitArb,
        fc.array(songArb, { minLength: 1, maxLength: 10 }),
        async ({ songs, files }, otherSongs) => {
          const table = songsTableFromRows(songs);
          // Partials written with another songs table: some entries are unknown to `table`.
          const written = serializeKpiState((await runKpis(otherSongs, files[0] ?? [])).state);
          const bound = deserializeKpiState(written, { songs: table });
          assert.deepEqual(serializeKpiState(bound), written);
          assert.deepEqual(finalizeKpis(bound), finalizeKpis(deserializeKpiState(written)));
          const local = (await runKpis(songs, files[1] ?? [], { table })).state;
          const viaBound = mergeKpiStates(bound, local);
          const viaStrings = mergeKpiStates(deserializeKpiState(written), local);
          assert.deepEqual(serializeKpiState(viaBound), serializeKpiState(viaStrings));
          mergeKpiStateInto(bound, local);
          assert.deepEqual(serializeKpiState(bound), serializeKpiState(viaStrings));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('binds the entries a table has and keeps the others, wherever they fall among the table’s (which has entries the partial lacks)', async () => {
    const song = (track_id: string, track_name: string) => ({
      track_id,
      track_name,
      duration_ms: 1000,
      track_genre: 'pop',
    });
    const table = songsTableFromRows(
      ['b', 'd', 'f', 'g', 'h'].map((id) => song(id, id.toUpperCase())),
    );
    // Unknown before, between and after the known ones, and a known id under another name.
    const written = [song('a', 'A'), song('b', 'B'), song('c', 'C'), song('d', 'Dee')];
    written.push(song('d', 'D'), song('e', 'E'), song('f', 'F'), song('z', 'Z'));
    const streams = written.map((s, i) => ({
      user_id: i + 1,
      track_id: s.track_id,
      listen_time: '2024-06-25 01:00:00',
    }));
    const bytes = serializeKpiState((await runKpis(written, streams)).state);
    const bound = deserializeKpiState(bytes, { songs: table });
    // b, d/D and f are the table's own entries; a, c, d/Dee, e and z are added.
    assert.equal(bound.trackCount, table.trackDictionary().size + 5);
    assert.deepEqual(serializeKpiState(bound), bytes);
    assert.deepEqual(finalizeKpis(bound), finalizeKpis(deserializeKpiState(bytes)));
    const local = (await runKpis([], streams.slice(1, 3), { table })).state;
    assert.deepEqual(
      serializeKpiState(mergeKpiStates(bound, local)),
      serializeKpiState(mergeKpiStates(deserializeKpiState(bytes), local)),
    );
  });

  it('rejects a `songs` option that is not a SongsTable', () => {
    const bytes = serializeKpiState(createKpiState());
    assert.throws(
      () => deserializeKpiState(bytes, { songs: {} as never }),
      isCode('KPI_STATE_OPTIONS'),
    );
  });

  it('corrupt, truncated, foreign or future-version bytes fail with a clear PipelineError code', async () => {
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const bytes = serializeKpiState(state);
    const flipped = bytes.slice();
    flipped[20] = flipped[20]! ^ 0xff;
    assert.throws(() => deserializeKpiState(flipped), isCode('KPI_STATE_CORRUPT'));
    assert.throws(
      () => deserializeKpiState(bytes.slice(0, bytes.length - 3)),
      isCode('KPI_STATE_CORRUPT'),
    );
    assert.throws(
      () => deserializeKpiState(new TextEncoder().encode('{"json":true}')),
      /bad magic/,
    );
    assert.throws(() => deserializeKpiState(new Uint8Array(0)), isCode('KPI_STATE_CORRUPT'));
    const future = bytes.slice();
    future[4] = 3;
    assert.throws(
      () => deserializeKpiState(future),
      (e: unknown) => isCode('KPI_STATE_VERSION')(e) && /version 3/.test(String(e)),
    );
  });
});
