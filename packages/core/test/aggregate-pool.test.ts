import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  aggregateStreamFile,
  createAggregatePool,
  finalizeKpis,
  HeaderError,
  memoryDeadLetter,
  OptionsError,
  PipelineError,
  serializeKpiState,
  songsTableFromRows,
  usersTableFromIds,
} from '../src/index.js';

const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'rock' },
  { track_id: 't2', track_name: 'Two, "2"', duration_ms: 2500, track_genre: 'pop' },
]);
const users = usersTableFromIds([1, 2]);
const CSV = [
  'user_id,track_id,listen_time',
  '1,t1,2024-06-25 10:00:00',
  '2,t2,2024-06-25 11:00:00',
  '3,t2,2024-06-26T01:00:00+02:00',
  'x,t1,2024-06-25 10:00:00',
  '1,nope,2024-06-25 10:00:00',
  '',
].join('\n');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pool-'));
  await writeFile(join(dir, 'a.csv'), CSV);
  await writeFile(join(dir, 'bad.csv'), 'user_id,listen_time\n1,2024-06-25 10:00:00\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a pooled object yields the same partial, counts and dead letters as aggregateStreamFile', async () => {
  const source = { id: 'file://a.csv', key: 'a.csv' };
  const deadLetter = memoryDeadLetter();
  const direct = await aggregateStreamFile([CSV], { source, songs, users, deadLetter });
  const pool = createAggregatePool({ songs, users, threads: 2 });
  try {
    const pooled = await pool.aggregate(source, { path: join(dir, 'a.csv') });
    assert.deepEqual(pooled.state, serializeKpiState(direct.state));
    assert.deepEqual(pooled.counts, direct.counts);
    assert.equal(pooled.counts.rowsRead, 5);
    assert.equal(pooled.counts.rowsRead, pooled.counts.rowsAggregated + pooled.counts.rowsRejected);
    assert.deepEqual(
      pooled.deadLetters.map((e) => [e.line, e.reasons[0]?.reason]),
      [
        [5, 'invalid_user_id'],
        [6, 'unknown_track'],
      ],
    );
    assert.equal(pooled.unknownUsers, 1);
    assert.ok(finalizeKpis(direct.state).length > 0);
  } finally {
    await pool.close();
  }
});

test('a custom worker module opens the bytes (as the S3 worker does)', async () => {
  const workerFile = new URL('./fixtures/pool/string-worker.ts', import.meta.url);
  const pool = createAggregatePool({ songs, threads: 1, workerFile });
  try {
    const pooled = await pool.aggregate({ id: 'mem://a', key: 'a.csv' }, CSV);
    assert.equal(pooled.counts.rowsAggregated, 3);
  } finally {
    await pool.close();
  }
});

test('a header error in a thread is rethrown as a HeaderError naming the missing column', async () => {
  const pool = createAggregatePool({ songs, threads: 1 });
  try {
    const source = { id: 'file://bad.csv', key: 'bad.csv' };
    await assert.rejects(pool.aggregate(source, { path: join(dir, 'bad.csv') }), (error) => {
      assert.ok(error instanceof HeaderError);
      assert.deepEqual(error.missing, ['track_id']);
      assert.equal(error.source, source);
      return true;
    });
    await assert.rejects(
      pool.aggregate({ id: 'x', key: 'x.csv' }, { path: join(dir, 'missing.csv') }),
      (error) => error instanceof PipelineError && error.code === 'ENOENT',
    );
  } finally {
    await pool.close();
  }
});

test('bad pool options throw before any thread starts', () => {
  assert.throws(() => createAggregatePool({ songs, threads: 0 }), OptionsError);
  assert.throws(() => createAggregatePool({ songs: {} as never }), /SongsTable/);
});
