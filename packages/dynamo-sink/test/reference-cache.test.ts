/**
 * Reference data reused between runs: the same cache over several `runKpis`
 * calls GETs the songs and users objects once while their ETags hold, and a
 * changed songs object rebuilds the songs table (and only it); a cache
 * folder (`referenceCacheDir`) does the same across processes and writes
 * the rejected reference rows to the dead letter again. Requests are
 * counted on the S3 client's middleware stack, against s3rver.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SongRow } from '@streamkpi/core';
import { createReferenceCache } from '../src/index.js';
import {
  BUCKET,
  LISTENS,
  oracleOf,
  SONGS,
  songsCsv,
  streamsCsv,
  useEmulators,
} from './helpers/e2e.js';
import { kpiFields } from './helpers/kpi-fixtures.js';

/** Counts GetObject requests per top folder (`songs`, `users`, …). */
function countGets(s3: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  type Handler = (args: { readonly input: unknown }) => Promise<unknown>;
  s3.middlewareStack.add(
    ((next: Handler, context: { readonly commandName?: string }) =>
      async (args: { readonly input: unknown }) => {
        const key = (args.input as { Key?: unknown }).Key;
        if (context.commandName === 'GetObjectCommand' && typeof key === 'string') {
          const folder = key.split('/')[0] ?? '';
          counts.set(folder, (counts.get(folder) ?? 0) + 1);
        }
        return next(args);
      }) as never,
    { step: 'initialize', name: 'countReferenceGets' },
  );
  return counts;
}

const { a: FILE_A, b: FILE_B } = LISTENS;
/** Listens of `t9`, a track the first songs file lacks, and of a known one. */
const FILE_C = streamsCsv([
  { user_id: 1, track_id: 't9', listen_time: '2024-06-26 09:00:00' },
  { user_id: 3, track_id: 't1', listen_time: '2024-06-26 10:00:00' },
]);
const SONGS_WITH_T9: SongRow[] = [
  ...SONGS,
  { track_id: 't9', track_name: 'Nine', duration_ms: 123_456, track_genre: 'metal' },
];

describe('reference cache', () => {
  const env = useEmulators();
  let gets: Map<string, number>;
  before(async () => {
    gets = countGets(env.s3);
    await env.put('songs/songs.csv', songsCsv());
    await env.put('users/users.csv', 'user_id,user_name\n1,a\n2,b\n3,c\n');
  });

  const run = (cache: ReturnType<typeof createReferenceCache>) =>
    env.run({ threads: 0, referenceCache: cache });

  /** A run with `cache` succeeds, reusing what `reused` says, after `songs` and `users` reference GETs in all. */
  const runCached = async (
    cache: ReturnType<typeof createReferenceCache>,
    reused: { songs: boolean; users: boolean },
    getsSoFar: { songs: number; users: number },
  ) => {
    const summary = await run(cache);
    assert.equal(summary.ok, true);
    assert.deepEqual(summary.reference.reused, reused);
    assert.equal(gets.get('songs'), getsSoFar.songs);
    assert.equal(gets.get('users'), getsSoFar.users);
    return summary;
  };

  it('reads songs and users once over two runs, and rebuilds only songs when songs/ changes', async () => {
    const cache = createReferenceCache();
    await env.put('streams/a.csv', FILE_A);
    await runCached(cache, { songs: false, users: false }, { songs: 1, users: 1 });

    await env.put('streams/b.csv', FILE_B);
    const second = await runCached(cache, { songs: true, users: true }, { songs: 1, users: 1 });
    // The reused table reports what its build read.
    assert.equal(second.reference.songs.rowsRead, SONGS.length);
    assert.deepEqual(await env.tableItems(), oracleOf([FILE_A, FILE_B]).map(kpiFields));

    // A new version of the songs file (new ETag): t9 now joins.
    await env.put('songs/songs.csv', songsCsv(SONGS_WITH_T9));
    await env.put('streams/c.csv', FILE_C);
    const third = await runCached(cache, { songs: false, users: true }, { songs: 2, users: 1 });
    assert.equal(third.reference.songs.rowsRead, SONGS_WITH_T9.length);
    assert.equal(third.streams.rowsAggregated, 2);
    assert.deepEqual(cache.stats, { builds: 3, reuses: 3 });
    assert.deepEqual(
      cache.entries().map((e) => [e.id, e.objects.length, e.approxBytes > 0]),
      [
        [`songs s3://${BUCKET}/songs/`, 1, true],
        [`users s3://${BUCKET}/users/`, 1, true],
      ],
    );
    // A's t9 row was unknown when A was read (06-25 stays as it was); C's
    // joins with the new table.
    const table = await env.tableItems();
    const onDate = (date: string, items: readonly object[]) =>
      items.filter((i) => (i as { date?: unknown }).date === date);
    assert.deepEqual(
      onDate('2024-06-25', table),
      onDate('2024-06-25', oracleOf([FILE_A, FILE_B]).map(kpiFields)),
    );
    assert.deepEqual(
      onDate('2024-06-26', table),
      onDate('2024-06-26', oracleOf([FILE_A, FILE_B, FILE_C], SONGS_WITH_T9).map(kpiFields)),
    );
    assert.ok(
      onDate('2024-06-26', table).some(
        (i) => (i as { track_genre?: unknown }).track_genre === 'metal',
      ),
    );
  });

  it('without a cache every run reads the reference data again', async () => {
    const before = gets.get('songs') ?? 0;
    await env.run({ threads: 0 });
    await env.run({ threads: 0 });
    assert.equal(gets.get('songs'), before + 2);
  });
});

describe('reference cache folder', () => {
  const env = useEmulators();
  let gets: Map<string, number>;
  let dir: string;
  // One bad song (negative duration) and one bad user: each has a dead letter.
  const songs = `${songsCsv()}9,t8,"Artist, The",Bad,-5,pop\n`;
  before(async () => {
    gets = countGets(env.s3);
    dir = await mkdtemp(join(tmpdir(), 'reference-cache-dir-'));
    await env.put('songs/songs.csv', songs);
    await env.put('users/users.csv', 'user_id,user_name\n1,a\n2,b\nnope,c\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The reference objects' dead-letter parts, key → NDJSON. */
  const referenceDeadLetters = async () => {
    const out = new Map<string, string>();
    for (const key of await env.keys('dead-letter/')) {
      if (key.startsWith('dead-letter/streams/')) continue;
      const got = await env.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      out.set(key, (await got.Body?.transformToString()) ?? '');
    }
    return out;
  };

  it('reads unchanged reference data back in a later run, dead letters included, and rebuilds on a new ETag', async () => {
    const run = () => env.run({ threads: 0, referenceCacheDir: dir });
    await env.put('streams/a.csv', FILE_A);
    const first = await run();
    assert.equal(first.ok, true);
    assert.equal(first.reference.cacheHit, false);
    assert.deepEqual([gets.get('songs'), gets.get('users')], [1, 1]);
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.bin')).length, 1);
    const written = await referenceDeadLetters();
    assert.deepEqual(
      [...written.keys()].map((k) => k.split('.')[0]),
      ['dead-letter/songs/songs', 'dead-letter/users/users'],
    );
    // A run that reads the tables back writes their rejected rows again.
    for (const key of written.keys()) {
      await env.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    }

    await env.put('streams/b.csv', FILE_B);
    const second = await run();
    assert.equal(second.ok, true);
    assert.equal(second.reference.cacheHit, true);
    assert.deepEqual([gets.get('songs'), gets.get('users')], [1, 1]);
    assert.deepEqual(await referenceDeadLetters(), written);
    assert.deepEqual(second.reference.songs.rowsRejected, 1);
    assert.deepEqual(second.reference.users.rowsRejected, 1);
    assert.deepEqual(second.reference.songs.rowsRead, first.reference.songs.rowsRead);
    assert.deepEqual(second.tables, first.tables);
    assert.deepEqual(await env.tableItems(), oracleOf([FILE_A, FILE_B]).map(kpiFields));

    await env.put('songs/songs.csv', songsCsv(SONGS_WITH_T9));
    await env.put('streams/c.csv', FILE_C);
    const third = await run();
    assert.equal(third.reference.cacheHit, false);
    assert.equal(gets.get('songs'), 2);
    assert.equal(third.reference.songs.rowsRejected, 0);
    assert.equal(third.streams.rowsAggregated, 2);
  });
});

describe('createReferenceCache', () => {
  const built = (n: number) => ({
    table: n,
    summary: {} as never,
    files: 1,
    approxBytes: n,
  });

  it('shares one build between overlapping calls for the same objects', async () => {
    const cache = createReferenceCache();
    let builds = 0;
    const build = async () => built(++builds);
    const [a, b] = await Promise.all([
      cache.get('x', ['k e1'], build),
      cache.get('x', ['k e1'], build),
    ]);
    assert.equal(builds, 1);
    assert.equal(a.value.table, 1);
    assert.equal(b.value.table, 1);
    assert.deepEqual([a.reused, b.reused], [false, true]);
  });

  it('does not keep a failed build, and replaces a table when an ETag changes', async () => {
    const cache = createReferenceCache();
    await assert.rejects(
      cache.get('x', ['k e1'], async () => {
        throw new Error('songs unreadable');
      }),
      /songs unreadable/,
    );
    assert.deepEqual(cache.entries(), []);
    assert.equal((await cache.get('x', ['k e1'], async () => built(1))).reused, false);
    const changed = await cache.get('x', ['k e2'], async () => built(2));
    assert.deepEqual([changed.reused, changed.value.table], [false, 2]);
    assert.deepEqual(cache.entries(), [{ id: 'x', objects: ['k e2'], approxBytes: 2 }]);
    cache.clear();
    assert.deepEqual(cache.entries(), []);
  });
});
