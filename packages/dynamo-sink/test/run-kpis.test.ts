import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUCKET, expected, streamsCsv, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

const FILE_A = streamsCsv([
  { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
  { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
  { user_id: 'x', track_id: 't2', listen_time: '2024-06-25 11:00:00' },
  { user_id: 3, track_id: 'nope', listen_time: '2024-06-25 11:00:00' },
  { user_id: 1, track_id: 't3', listen_time: '2024-06-26T01:00:00+02:00' },
]);
const FILE_B = streamsCsv([
  { user_id: 2, track_id: 't1', listen_time: '2024-06-25 23:59:59' },
  { user_id: 4, track_id: 't4', listen_time: '2024-06-26 00:00:00' },
  { user_id: 5, track_id: 't2', listen_time: '2024-13-45 99:00:00' },
]);

describe('run-kpis', () => {
  it('a run over songs, users and two stream files writes the oracle KPIs, archives and dead-letters', async () => {
    const { songsCsv } = await import('./helpers/e2e.js');
    await env.put('songs/songs.csv', songsCsv());
    await env.put('users/users.csv', 'user_id,user_name\n1,a\n2,b\n3,c\n');
    await env.put('streams/', '');
    await env.put('streams/a.csv', FILE_A);
    await env.put('streams/b.csv', FILE_B);

    const summary = await env.run();

    assert.equal(summary.ok, true);
    assert.deepEqual(await env.tableItems(), expected([FILE_A, FILE_B]));
    assert.equal(summary.streams.rowsRead, 8);
    assert.equal(summary.streams.rowsRejected, 3);
    assert.equal(summary.streams.rowsAggregated, 5);
    assert.deepEqual(summary.streams.rejectedByReason, {
      invalid_user_id: 1,
      unknown_track: 1,
      invalid_listen_time: 1,
    });
    // The stages really ran: records in and out of each.
    assert.deepEqual(
      summary.streams.stages
        .filter((st) => ['parse', 'validate', 'join', 'aggregate'].includes(st.name))
        .map((st) => [st.name, st.recordsIn, st.recordsOut]),
      [
        ['parse', summary.streams.stages.find((st) => st.name === 'parse')?.recordsIn, 8],
        ['validate', 8, 6],
        ['join', 6, 5],
        ['aggregate', 5, 0],
      ],
    );
    assert.equal(summary.objects.processed, 2);
    assert.equal(summary.objects.archived, 2);
    assert.deepEqual(
      [summary.tables.songs.tracks, summary.tables.songs.pairs, summary.tables.songs.genres],
      [4, 5, 3],
    );
    assert.equal(summary.tables.users?.users, 3);
    assert.deepEqual(await env.keys('streams/'), ['streams/']);
    assert.deepEqual(await env.keys('archive/'), ['archive/a.csv', 'archive/b.csv']);
    assert.equal((await env.keys('dead-letter/')).length, 2);

    // A second run finds nothing new and changes nothing.
    const again = await env.run();
    assert.equal(again.objects.processed, 0);
    assert.deepEqual(await env.tableItems(), expected([FILE_A, FILE_B]));
  });

  it('on the calling thread (threads: 0) a run gives the same table and counts as on worker threads', async () => {
    const { songsCsv } = await import('./helpers/e2e.js');
    for (const root of ['main/', 'pool/']) {
      await env.put(`${root}songs/songs.csv`, songsCsv());
      await env.put(`${root}streams/a.csv`, FILE_A);
      await env.put(`${root}streams/b.csv`, FILE_B);
    }
    const onMain = await env.run({ prefix: 'main/', tableName: 'kpis_main', threads: 0 });
    const onPool = await env.run({ prefix: 'pool/', tableName: 'kpis_pool', threads: 2 });
    assert.deepEqual(await env.tableItems('kpis_main'), expected([FILE_A, FILE_B]));
    assert.deepEqual(await env.tableItems('kpis_pool'), expected([FILE_A, FILE_B]));
    for (const s of [onMain, onPool]) {
      assert.equal(s.ok, true);
      assert.equal(s.streams.rowsRead, s.streams.rowsAggregated + s.streams.rowsRejected);
      assert.equal(s.objects.archived, 2);
    }
    assert.deepEqual(onPool.streams.rejectedByReason, onMain.streams.rejectedByReason);
    assert.equal((await env.keys('pool/dead-letter/')).length, 2);
    assert.equal((await env.keys('main/dead-letter/')).length, 2);
  });

  it('bad options throw OptionsError before any request', async () => {
    const { OptionsError } = await import('@streamkpi/core');
    const { createPartialStore } = await import('../src/index.js');
    assert.throws(() => createPartialStore({ client: env.s3, bucket: 'x' }), OptionsError);
    await assert.rejects(env.run({ prefix: 'no-slash' }), OptionsError);
  });

  it('with uniqueListeners hll the other KPIs are exact and small listener counts match', async () => {
    const { songsCsv } = await import('./helpers/e2e.js');
    await env.put('hll/songs/songs.csv', songsCsv());
    await env.put('hll/streams/a.csv', FILE_A);
    await env.put('hll/streams/b.csv', FILE_B);
    const summary = await env.run({
      prefix: 'hll/',
      tableName: 'kpis_hll',
      uniqueListeners: 'hll',
    });
    assert.equal(summary.ok, true);
    // HyperLogLog's small-range (linear counting) estimate is exact for a handful of ids.
    assert.deepEqual(await env.tableItems('kpis_hll'), expected([FILE_A, FILE_B]));
    // The durable partials are HyperLogLog states.
    const [partialKey] = await env.keys('hll/state/partials/');
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { deserializeKpiState, KpiState } = await import('@streamkpi/core');
    const get = async (Key: string) =>
      (
        await env.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))
      ).Body!.transformToByteArray();
    const bytes = await get(partialKey!);
    // It references the run's songs track dictionary, stored next to it.
    const id = KpiState.referencedDictionaryId(bytes)!;
    const dictionaries = new Map([[id, await get(`hll/state/dictionaries/${id}.kpid`)]]);
    assert.equal(deserializeKpiState(bytes, { dictionaries }).mode, 'hll');
  });

  it('a stream key with a control character is quarantined under a hashed stand-in, never retried, and the other objects commit', async () => {
    const { songsCsv } = await import('./helpers/e2e.js');
    const { unsafeKeyStandIn } = await import('@streamkpi/s3-source');
    const unsafe = 'unsafe/streams/bell\u0007.csv';
    await env.put('unsafe/songs/songs.csv', songsCsv());
    await env.put('unsafe/streams/a.csv', FILE_A);
    await env.put(unsafe, FILE_B);
    const run = () => env.run({ prefix: 'unsafe/', tableName: 'kpis_unsafe', threads: 0 });
    const summary = await run();
    const outcome = summary.outcomes.find((o) => o.key === unsafe);
    assert.equal(outcome?.status, 'rejected');
    assert.equal((outcome?.error as { code?: string } | undefined)?.code, 'UNSAFE_KEY');
    assert.equal(summary.objects.processed, 1);
    assert.deepEqual(await env.tableItems('kpis_unsafe'), expected([FILE_A]));
    assert.deepEqual(await env.keys('unsafe/streams/'), ['unsafe/streams/']);
    const standIn = `unsafe/rejected/${unsafeKeyStandIn(unsafe)}`;
    assert.ok((await env.keys('unsafe/rejected/')).includes(standIn), 'moved under its stand-in');
    // Quarantined for good: the next run does not see it again.
    const again = await run();
    assert.equal(again.outcomes.length, 0);
  });
});
