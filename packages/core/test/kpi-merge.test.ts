import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { serializeKpiState } from '../src/aggregate/kpi-codec.js';
import { deserializeKpiState } from '../src/aggregate/kpi-decode.js';
import {
  kpiStateDates,
  mergeKpiStateInto,
  mergeKpiStates,
  pickKpiDates,
} from '../src/aggregate/kpi-merge.js';
import { finalizeKpis, PipelineError, songsTableFromRows } from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS, splitArb } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';
import { oracleKpis } from './helpers/oracle.js';

const isCode = (code: string) => (e: unknown) => e instanceof PipelineError && e.code === code;

describe('kpi-merge', () => {
  it('aggregating random files separately and merging the partials in random order (through bytes) equals the oracle', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, streams, files, order, timeZone }) => {
        const table = songsTableFromRows(songs);
        const partials: Uint8Array[] = [];
        for (const file of files) {
          const { state } = await runKpis(songs, file, { timeZone, table });
          partials.push(serializeKpiState(state));
        }
        const states = order.map((i) => deserializeKpiState(partials[i]!));
        const merged = mergeKpiStates(states[0]!, ...states.slice(1));
        assert.deepEqual(finalizeKpis(merged), oracleKpis(songs, streams, { timeZone }));
      }),
      { numRuns: 100 },
    );
  });

  it('one partial per (file, date), merged per date, equals the oracle (the exactly-once layout)', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, streams, files }) => {
        const byDate = new Map<string, Uint8Array[]>();
        for (const file of files) {
          const { state } = await runKpis(songs, file);
          for (const date of kpiStateDates(state)) {
            const list = byDate.get(date) ?? [];
            list.push(serializeKpiState(pickKpiDates(state, [date])));
            byDate.set(date, list);
          }
        }
        const items = [...byDate.keys()].sort().flatMap((date) => {
          const parts = byDate.get(date)!.map((b) => deserializeKpiState(b));
          const merged = mergeKpiStates(parts[0]!, ...parts.slice(1));
          assert.deepEqual(kpiStateDates(merged), [date]);
          return finalizeKpis(merged);
        });
        assert.deepEqual(items, oracleKpis(songs, streams));
      }),
      { numRuns: 60 },
    );
  });

  it('merge is associative and commutative, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(splitArb, async ({ songs, files }) => {
        const [a, b, c] = await Promise.all(
          [files[0] ?? [], files[1] ?? [], files[2] ?? []].map(
            async (f) => (await runKpis(songs, f)).state,
          ),
        );
        const ab_c = serializeKpiState(mergeKpiStates(mergeKpiStates(a!, b!), c!));
        const a_bc = serializeKpiState(mergeKpiStates(a!, mergeKpiStates(b!, c!)));
        const cba = serializeKpiState(mergeKpiStates(c!, b!, a!));
        assert.deepEqual(a_bc, ab_c);
        assert.deepEqual(cba, ab_c);
        assert.deepEqual(
          serializeKpiState(mergeKpiStates(b!, a!)),
          serializeKpiState(mergeKpiStates(a!, b!)),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('merging does not modify its inputs', async () => {
    const { state: a } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(0, 2));
    const { state: b } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(1));
    const before = serializeKpiState(a);
    mergeKpiStates(a, b);
    assert.deepEqual(serializeKpiState(a), before);
  });

  it('mergeKpiStateInto folds the source into the target as mergeKpiStates would, leaving the source as it was', async () => {
    const { state: target } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(0, 2));
    const { state: source } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(1));
    const expected = serializeKpiState(mergeKpiStates(target, source));
    const sourceBefore = serializeKpiState(source);
    mergeKpiStateInto(target, source);
    assert.deepEqual(serializeKpiState(target), expected);
    assert.deepEqual(serializeKpiState(source), sourceBefore);
  });

  it('pickKpiDates keeps only the named dates and rejects malformed dates', async () => {
    const { state } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const picked = pickKpiDates(state, ['2024-06-26', '2030-01-01']);
    assert.deepEqual(kpiStateDates(picked), ['2024-06-26']);
    assert.deepEqual(
      finalizeKpis(picked),
      finalizeKpis(state).filter((i) => i.date === '2024-06-26'),
    );
    assert.throws(() => pickKpiDates(state, ['2024-02-30']), isCode('KPI_STATE_BAD_DATE'));
  });

  it('states counting unique listeners differently refuse to merge', async () => {
    const { state: exact } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const { state: hll } = await runKpis(FIXED_SONGS, FIXED_STREAMS, { uniqueListeners: 'hll' });
    assert.throws(() => mergeKpiStates(exact, hll), isCode('KPI_STATE_MODE_MISMATCH'));
  });

  it('hll states read back from bytes merge to the union estimate', async () => {
    const hll = { uniqueListeners: 'hll' } as const;
    const { state: a } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(0, 1), hll);
    const { state: b } = await runKpis(FIXED_SONGS, FIXED_STREAMS.slice(1), hll);
    const merged = mergeKpiStates(
      deserializeKpiState(serializeKpiState(a)),
      deserializeKpiState(serializeKpiState(b)),
    );
    const items = finalizeKpis(merged);
    const exact = oracleKpis(FIXED_SONGS, FIXED_STREAMS);
    assert.deepEqual(
      items.map((i) => [i.date, i.track_genre, i.listen_count, i.unique_listeners]),
      exact.map((i) => [i.date, i.track_genre, i.listen_count, i.unique_listeners]),
    );
  });
});
