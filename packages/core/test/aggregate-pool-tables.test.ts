import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  aggregateStreamFile,
  createAggregatePool,
  memoryDeadLetter,
  OptionsError,
  serializeKpiState,
  songsTableFromRows,
} from '../src/index.js';
import { usersTableFromIds } from '../src/join/users-table.js';
import type { PoolTables } from '../src/pool/aggregate-pool.js';

const songs = songsTableFromRows([
  { track_id: 'a', track_name: 'Alpha', duration_ms: 2000, track_genre: 'house' },
  { track_id: 'b', track_name: 'Beta', duration_ms: 3000, track_genre: 'techno' },
]);
const users = usersTableFromIds([7]);
const ROWS = [
  'user_id,track_id,listen_time',
  '7,a,2024-03-01 08:00:00',
  '8,b,2024-03-01 09:00:00',
  '7,zz,2024-03-02 10:00:00',
  '',
].join('\n');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pool-tables-'));
  await writeFile(join(dir, 'rows.csv'), ROWS);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('aggregate-pool-tables', () => {
  it('a pool started before its tables are loaded waits for them and aggregates as with tables given', async () => {
    const source = { id: 'file://rows.csv', key: 'rows.csv' };
    const direct = await aggregateStreamFile([ROWS], {
      source,
      songs,
      users,
      deadLetter: memoryDeadLetter(),
    });
    let resolve: (tables: PoolTables) => void = () => undefined;
    const tables = new Promise<PoolTables>((r) => {
      resolve = r;
    });
    const pool = createAggregatePool({ tables, threads: 2 });
    try {
      const calls = [1, 2].map(() => pool.aggregate(source, { path: join(dir, 'rows.csv') }));
      // Both calls wait for the tables, none has reached a thread yet.
      assert.equal(pool.pending().length, 0);
      resolve({ songs, users });
      for (const pooled of await Promise.all(calls)) {
        assert.deepEqual(serializeKpiState(pooled.state), serializeKpiState(direct.state));
        assert.deepEqual(pooled.counts, direct.counts);
        assert.equal(pooled.unknownUsers, 1);
        assert.deepEqual(
          pooled.deadLetters.map((e) => e.reasons[0]?.reason),
          ['unknown_track'],
        );
      }
    } finally {
      await pool.close();
    }
  });

  it('tables that fail to load fail every call with their reason', async () => {
    const failure = new Error('songs could not be read');
    const pool = createAggregatePool({ tables: Promise.reject(failure), threads: 1 });
    try {
      await assert.rejects(
        pool.aggregate({ id: 'x.csv', key: 'x.csv' }, { path: 'x.csv' }),
        failure,
      );
      await assert.rejects(pool.merge([new Uint8Array(1)]), failure);
    } finally {
      await pool.close();
    }
  });

  it('a pool takes either songs or tables, and users inside tables', () => {
    assert.throws(() => createAggregatePool({}), OptionsError);
    assert.throws(
      () => createAggregatePool({ songs, tables: Promise.resolve({ songs }) }),
      /either `songs`/,
    );
    assert.throws(
      () => createAggregatePool({ users, tables: Promise.resolve({ songs }) }),
      /inside `tables`/,
    );
    assert.throws(() => createAggregatePool({ tables: { songs } as never }), /promise/);
  });
});
