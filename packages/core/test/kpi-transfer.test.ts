import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregateStreamFile,
  deserializeKpiState,
  finalizeKpis,
  memoryDeadLetter,
  mergeKpiStates,
  PipelineError,
  serializeKpiState,
  songsTableFromRows,
} from '../src/index.js';
import { kpiStateFromTransfer, kpiStateToTransfer } from '../src/pool/internal/kpi-transfer.js';

const rows = [
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'Uno', duration_ms: 1000, track_genre: 'rock' },
  { track_id: 't2', track_name: 'Two', duration_ms: 2500, track_genre: 'pop' },
];
const CSV = [
  'user_id,track_id,listen_time',
  '1,t1,2024-06-25 10:00:00',
  '5000000000,t2,2024-06-25 11:00:00',
  '3,t2,2024-06-26 01:00:00',
  '',
].join('\n');

async function stateOf(songs = songsTableFromRows(rows)) {
  const source = { id: 'mem://a', key: 'a.csv' };
  return (await aggregateStreamFile([CSV], { source, songs, deadLetter: memoryDeadLetter() }))
    .state;
}

describe('kpi-transfer', () => {
  it('a state bound to a songs table arrives bound to the receiver’s copy of that table and merges with its states', async () => {
    const sender = songsTableFromRows(rows);
    const receiver = songsTableFromRows(rows);
    const state = await stateOf(sender);
    const bytes = serializeKpiState(state);
    const { value, transferList } = kpiStateToTransfer(state, sender.trackDictionary());
    assert.equal(value.dictionaryEntries, receiver.trackDictionary().trackIds.length);
    assert.deepEqual(value.extraTrackIds, []);
    // As the thread boundary does: clone and move the buffers.
    const copy = structuredClone(value, { transfer: transferList });
    const arrived = kpiStateFromTransfer(copy, receiver.trackDictionary());
    assert.deepEqual(serializeKpiState(arrived), bytes);
    const local = await stateOf(receiver);
    assert.equal(arrived.sharedPrefix(local), receiver.trackDictionary().trackIds.length);
    assert.deepEqual(
      finalizeKpis(mergeKpiStates(arrived, local)),
      finalizeKpis(mergeKpiStates(deserializeKpiState(bytes), deserializeKpiState(bytes))),
    );
  });

  it('a state with its own track entries (not bound to a table) travels with them as strings', async () => {
    const unbound = deserializeKpiState(serializeKpiState(await stateOf()));
    const bytes = serializeKpiState(unbound);
    const { value, transferList } = kpiStateToTransfer(
      unbound,
      songsTableFromRows(rows).trackDictionary(),
    );
    assert.equal(value.dictionaryEntries, 0);
    assert.deepEqual([...value.extraTrackIds].sort(), ['t1', 't1', 't2']);
    assert.equal(value.trackNameConflicts, true);
    const copy = structuredClone(value, { transfer: transferList });
    const arrived = kpiStateFromTransfer(copy, songsTableFromRows(rows).trackDictionary());
    assert.deepEqual(serializeKpiState(arrived), bytes);
  });

  it('a state from a different songs table is refused with POOL_TABLE_MISMATCH', async () => {
    const sender = songsTableFromRows(rows);
    const { value } = kpiStateToTransfer(await stateOf(sender), sender.trackDictionary());
    const other = songsTableFromRows(rows.slice(0, 1));
    assert.throws(
      () => kpiStateFromTransfer(value, other.trackDictionary()),
      (error) => error instanceof PipelineError && error.code === 'POOL_TABLE_MISMATCH',
    );
  });
});
