import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLocalKpis } from '../src/local-runner.js';

let root: string;
let input: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-reference-cache-'));
  input = join(root, 'data');
  await mkdir(join(input, 'streams'), { recursive: true });
  await writeFile(
    join(input, 'songs.csv'),
    [
      'track_id,track_name,duration_ms,track_genre',
      't1,Alpha,1000,pop',
      't2,Beta,2000,rock',
      't3,Bad Duration,-5,pop',
      '',
    ].join('\n'),
  );
  await writeFile(join(input, 'users.csv'), 'user_id\n1\n2\nnot-a-number\n');
  await writeFile(
    join(input, 'streams', 'a.csv'),
    [
      'user_id,track_id,listen_time',
      '1,t1,2024-06-25 10:00:00',
      '2,t2,2024-06-25 11:00:00',
      '3,t4,2024-06-25 12:00:00',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What a reference load counted (its timings and memory aside). */
function counted(summary: Awaited<ReturnType<typeof run>>['summary']) {
  const { songs, users } = summary.reference;
  const pick = ({ durationMs, peakRssBytes, rowsPerSecond, ...rest }: typeof songs) => rest;
  return { songs: pick(songs), users: pick(users) };
}

/** A run with rejected rows kept in memory, the tables cached under `cache`. */
function run(cache: string) {
  return runLocalKpis({ input, threads: 0, referenceCache: cache });
}

describe('runLocalKpis referenceCache', () => {
  it('reads unchanged reference data back with the same items, counts and dead letters', async () => {
    const cache = join(root, 'cache-same');
    const first = await run(cache);
    const second = await run(cache);
    assert.equal(first.summary.phases.referenceCacheHit, false);
    assert.equal(second.summary.phases.referenceCacheHit, true);
    assert.equal((await readdir(cache)).length, 1);
    assert.deepEqual(second.items, first.items);
    assert.deepEqual(counted(second.summary), counted(first.summary));
    assert.deepEqual(second.summary.tables, first.summary.tables);
    assert.equal(second.summary.reference.songs.rowsRejected, 1);
    assert.equal(second.summary.reference.users.rowsRejected, 1);
    // The rejected song and user rows reach the dead letter on a hit too.
    const keys = (r: typeof first) => r.deadLetters?.map((e) => `${e.source.key}:${e.line}`);
    assert.deepEqual(keys(second), keys(first));
    assert.deepEqual(keys(second), ['songs.csv:4', 'users.csv:4', 'streams/a.csv:4']);
  });

  it('rebuilds when a reference file changes', async () => {
    const cache = join(root, 'cache-change');
    await run(cache);
    await appendFile(join(input, 'songs.csv'), 't4,Delta,4000,jazz\n');
    const changed = await run(cache);
    assert.equal(changed.summary.phases.referenceCacheHit, false);
    assert.ok(changed.items.some((i) => i.track_genre === 'jazz'));
    assert.equal(changed.summary.streams.rowsAggregated, 3);
  });

  it('rebuilds over a corrupt entry instead of failing', async () => {
    const cache = join(root, 'cache-corrupt');
    const first = await run(cache);
    const [entry] = await readdir(cache);
    await writeFile(join(cache, entry!), 'not a table');
    const again = await run(cache);
    assert.equal(again.summary.phases.referenceCacheHit, false);
    assert.deepEqual(again.items, first.items);
    assert.equal((await run(cache)).summary.phases.referenceCacheHit, true);
  });
});
