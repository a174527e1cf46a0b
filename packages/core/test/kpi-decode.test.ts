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
    future[4] = 2;
    assert.throws(
      () => deserializeKpiState(future),
      (e: unknown) => isCode('KPI_STATE_VERSION')(e) && /version 2/.test(String(e)),
    );
  });
});
