import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { serializeKpiState, serializeKpiStateByDate } from '../src/aggregate/kpi-codec.js';
import { deserializeKpiState } from '../src/aggregate/kpi-decode.js';
import { kpiStateDates, mergeKpiStates, pickKpiDates } from '../src/aggregate/kpi-merge.js';
import { createKpiState } from '../src/aggregate/kpi-state.js';
import { finalizeKpis, songsTableFromRows } from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS, splitArb } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';

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
