import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKpiState } from '../src/aggregate/kpi-state.js';
import { PipelineError, serializeKpiState } from '../src/index.js';
import { FIXED_SONGS, FIXED_STREAMS } from './helpers/kpi-arbitraries.js';
import { runKpis } from './helpers/kpi-fixtures.js';

const isOptionsError = (e: unknown) => e instanceof PipelineError && e.code === 'KPI_STATE_OPTIONS';

describe('kpi-state', () => {
  it('createKpiState makes an empty exact state by default, and an hll one with the precision asked for', () => {
    const exact = createKpiState();
    assert.equal(exact.mode, 'exact');
    assert.equal(exact.days.size, 0);
    assert.equal(exact.trackCount, 0);
    const hll = createKpiState({ uniqueListeners: 'hll', hllPrecision: 10 });
    assert.equal(hll.mode, 'hll');
    assert.equal(hll.hllPrecision, 10);
  });

  it('createKpiState rejects an unknown counting mode and a precision outside 4–16', () => {
    assert.throws(() => createKpiState({ uniqueListeners: 'approx' as never }), isOptionsError);
    assert.throws(() => createKpiState({ hllPrecision: 3 }), isOptionsError);
    assert.throws(() => createKpiState({ hllPrecision: 17 }), /from 4 to 16, got 17/);
    assert.throws(() => createKpiState({ hllPrecision: 12.5 }), isOptionsError);
  });

  it('interns each (track, name) pair once and flags a track id seen under two names', () => {
    const state = createKpiState();
    assert.equal(state.internGenre('pop'), 0);
    assert.equal(state.internGenre('Pop'), 1);
    assert.equal(state.internGenre('pop'), 0);
    assert.equal(state.internTrack('a', 'One'), 0);
    assert.equal(state.internTrack('b', 'Two'), 1);
    assert.equal(state.trackNameConflicts, false);
    assert.equal(state.internTrack('a', 'Uno'), 2);
    assert.equal(state.internTrack('a', 'One'), 0);
    assert.equal(state.trackNameConflicts, true);
    assert.deepEqual(
      [state.trackIds, state.trackNames],
      [
        ['a', 'b', 'a'],
        ['One', 'Two', 'Uno'],
      ],
    );
  });

  it('a copy shares its cells until one is changed: ownCell copies it first, the source stays as it was', async () => {
    const { state: source } = await runKpis(FIXED_SONGS, FIXED_STREAMS);
    const before = serializeKpiState(source);
    const copy = createKpiState();
    copy.copyFrom(source);
    const [day, cells] = [...copy.days][0]!;
    const g = cells.findIndex((c) => c !== undefined);
    const cell = copy.ownCell(cells, g);
    assert.notEqual(cell, source.days.get(day)?.[g]);
    assert.equal(copy.ownCell(cells, g), cell);
    cell.listens += 100;
    copy.internTrack('new', 'New');
    assert.deepEqual(serializeKpiState(source), before);
    assert.notDeepEqual(serializeKpiState(copy), before);
  });
});
