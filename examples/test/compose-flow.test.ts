import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryDeadLetter, type SongRow, songsTableFromRows } from '@streamkpi/core';
import { readKpiItems } from '@streamkpi/dynamo-sink';
import { oracleKpis } from '../../packages/core/test/helpers/oracle.js';
import { useDynalite } from '../../packages/dynamo-sink/test/helpers/dynalite-env.js';
import { ndjsonToDynamoDb } from '../src/compose-flow.js';
import { comparableItems } from './helpers/dataset-oracle.js';

const songRows: SongRow[] = [
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'Uno', duration_ms: 1200, track_genre: 'rock' },
  { track_id: 't2', track_name: 'Two', duration_ms: 2000, track_genre: 'pop' },
];
const listens = [
  { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
  { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
  { user_id: 2, track_id: 't1', listen_time: '2024-06-26T01:00:00+02:00' },
];
const body = [
  ...listens.map((l) => JSON.stringify(l)),
  JSON.stringify({ user_id: 3, track_id: 'nope', listen_time: '2024-06-25 11:00:00' }),
  '{"user_id": "x", "track_id": "t1", "listen_time": "2024-06-25 11:00:00"}',
  'not json',
].join('\n');

const dynamo = useDynalite();

describe('ndjsonToDynamoDb (the README flow)', () => {
  it('writes the oracle KPIs of the valid listens and dead-letters the rest', async () => {
    const deadLetter = memoryDeadLetter();
    // The body arrives in small chunks, as an HTTP request does.
    const chunks = Buffer.from(body)
      .toString()
      .match(/[\s\S]{1,17}/g)!
      .map((c) => Buffer.from(c));
    const tableName = await dynamo.table();
    const { items, summary, written } = await ndjsonToDynamoDb(chunks, {
      songs: songsTableFromRows(songRows),
      deadLetter,
      client: dynamo.client,
      tableName,
    });
    assert.deepEqual(comparableItems(items), comparableItems(oracleKpis(songRows, listens)));
    assert.equal(written.itemsWritten, items.length);
    assert.deepEqual(
      comparableItems(await readKpiItems(dynamo.client, tableName)),
      comparableItems(items),
    );
    assert.deepEqual([summary.rowsRead, summary.rowsAggregated, summary.rowsRejected], [6, 3, 3]);
    assert.deepEqual(deadLetter.entries.map((e) => [e.line, e.reasons[0]?.reason]).sort(), [
      [4, 'unknown_track'],
      [5, 'invalid_user_id'],
      [6, 'malformed_json'],
    ]);
  });

  it('rejects an aborted run before writing anything', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(
      ndjsonToDynamoDb([Buffer.from(body)], {
        songs: songsTableFromRows(songRows),
        deadLetter: memoryDeadLetter(),
        client: dynamo.client,
        tableName: 'compose-flow-none',
        signal: controller.signal,
      }),
      /stop/,
    );
  });
});
