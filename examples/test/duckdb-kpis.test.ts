import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { computeDuckDbKpis, type DuckDbKpiItem } from '../src/duckdb-kpis.js';
import { generateDataset } from '../src/generate/index.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'duckdb-kpis-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// Ａ is U+FF21 and 😀 U+1F600: code-point order puts Ａ first, UTF-16 order 😀.
const SONGS = [
  'track_id,track_name,duration_ms,track_genre,extra',
  't1,"Alpha, the ""First""",1000,pop,x',
  't1,Alpha,1000,rock,x',
  't2,Beta,2000,pop,x',
  't3,,3000,pop,x',
  't4,Ａ,1500,pop,x',
  't5,😀,1500,pop,x',
  't2,Beta Dup,9999,pop,x',
  't6,Take Five,1005,jazz,x',
  't7,Blue Note,4000,blues,x',
  ',No Id,1000,pop,x',
  't8,Bad Duration,-5,pop,x',
].join('\n');

const STREAMS = [
  'user_id,track_id,listen_time',
  '1,t1,2024-06-25 10:00:00',
  '2,t1,2024-06-26T01:30:00+02:00',
  '1,t2,2024-06-25 11:00:00',
  '3,t2,2024-06-25 12:00:00',
  '5,t4,2024-06-25 13:00:00',
  ' 5 ,t5, 2024-06-25 14:00:00 ',
  '6,t6,2024-06-25 15:00:00',
  '7,t7,2024-06-25T16:00:00Z',
  '1,t3,2024-06-25T23:30:00-01:00',
  '2,t2,2024-06-26 09:00:00',
  'abc,t1,2024-06-25 10:00:00',
  '1,,2024-06-25 10:00:00',
  '1,t1,2024-02-30 10:00:00',
  '1,zz,2024-06-25 10:00:00',
  '1,t1',
  '1,t1,2024-06-25 10:00:00,x',
  '',
].join('\r\n');

/** A top song: `[track_id, name as shown, listens]`. */
type TopSong = readonly [id: string, name: string, listens: number];

/**
 * An expected item from its counts `[listens, listeners, total ms, average]`,
 * its `top_5_genres` and its top songs; `top_3_songs` is their names, as
 * SPEC section 4 words it.
 */
function item(
  date: string,
  genre: string,
  [listens, listeners, totalMs, average]: readonly [number, number, number, string],
  top5Genres: string,
  ...songs: TopSong[]
): DuckDbKpiItem {
  return {
    date,
    track_genre: genre,
    listen_count: listens,
    unique_listeners: listeners,
    total_listening_time: totalMs,
    avg_listening_time_per_user: average,
    top_3_songs: songs.map(([, name]) => name).join(', '),
    top_songs: songs.map(([id, name, n]) => ({ track_id: id, track_name: name, listen_count: n })),
    top_5_genres: top5Genres,
  };
}

const D1 = '2024-06-25';
const D1_TOP5 = 'pop, rock, blues, jazz';
const EXPECTED: DuckDbKpiItem[] = [
  item(D1, 'blues', [1, 1, 4000, '4.00'], D1_TOP5, ['t7', 'Blue Note', 1]),
  // 1.005 exactly: half-up gives 1.01 (a binary float would give 1.00).
  item(D1, 'jazz', [1, 1, 1005, '1.01'], D1_TOP5, ['t6', 'Take Five', 1]),
  item(
    D1,
    'pop',
    [6, 4, 9000, '2.25'],
    D1_TOP5,
    ['t1', 'Alpha, the "First"', 2],
    ['t2', 'Beta', 2],
    ['t4', 'Ａ', 1],
  ),
  item(D1, 'rock', [2, 2, 2000, '1.00'], D1_TOP5, ['t1', 'Alpha', 2]),
  // Tie at one listen: the empty stored name sorts first and shows as the id.
  item('2024-06-26', 'pop', [2, 2, 5000, '2.50'], 'pop', ['t3', 't3', 1], ['t2', 'Beta', 1]),
];

for (const mode of ['per-file', 'one-statement'] as const) {
  describe(`computeDuckDbKpis (${mode})`, () => {
    it('computes the hand-checked items: multi-genre join, dedup, offsets, ties, half-up', async () => {
      const dir = join(root, `tiny-${mode}`);
      await mkdir(join(dir, 'streams'), { recursive: true });
      await writeFile(join(dir, 'songs.csv'), SONGS);
      await writeFile(join(dir, 'streams', 'a.csv'), STREAMS);
      const { items, counts } = await computeDuckDbKpis({ input: dir, threads: 1, mode });
      assert.deepEqual(items, EXPECTED);
      assert.deepEqual(counts.rejectedByReason, {
        invalid_user_id: 1,
        invalid_track_id: 1,
        invalid_listen_time: 1,
        unknown_track: 1,
        ragged_row: 2,
      });
      assert.equal(counts.rowsRead, 16);
      assert.equal(counts.rowsAggregated, 10);
      assert.equal(counts.rowsRejected, 6);
      assert.equal(counts.songRows, 11);
      assert.equal(counts.songRowsRejected, 2);
    });

    it('skips a stream file whose header lacks a required column and counts it', async () => {
      const dir = join(root, `badheader-${mode}`);
      await mkdir(join(dir, 'streams'), { recursive: true });
      await writeFile(join(dir, 'songs.csv'), SONGS);
      await writeFile(join(dir, 'streams', 'a.csv'), STREAMS);
      await writeFile(
        join(dir, 'streams', 'b.csv'),
        'user_id,listen_time\n1,2024-06-25 10:00:00\n',
      );
      const { items, counts } = await computeDuckDbKpis({ input: dir, mode });
      assert.equal(counts.filesRejected, 1);
      assert.deepEqual(items, EXPECTED);
    });

    it('agrees with the generator manifest on a dirty gzipped dataset', async () => {
      const dir = join(root, `generated-${mode}`);
      const manifest = await generateDataset({
        dir,
        seed: 3,
        streamRows: 20_000,
        streamFiles: 2,
        days: 3,
        songsPerGenre: 40,
        users: 1_000,
        dirtyRate: 0.05,
        gzip: true,
      });
      const { items, counts } = await computeDuckDbKpis({ input: dir, mode });
      const dirty = manifest.streams.totals.dirty;
      assert.deepEqual(counts.rejectedByReason, {
        invalid_user_id: dirty.invalidUserId,
        invalid_track_id: dirty.emptyTrackId,
        invalid_listen_time: dirty.invalidListenTime,
        unknown_track: dirty.unknownTrack,
        ragged_row: dirty.raggedRow,
      });
      assert.equal(counts.rowsRead, manifest.streams.totals.rows);
      assert.equal(counts.rowsAggregated, manifest.streams.totals.validRows);
      assert.equal(counts.unknownUserRows, manifest.streams.totals.unknownUserRows);
      assert.deepEqual([...new Set(items.map((i) => i.date))], manifest.streams.totals.dates);
    });

    it('rejects bad options and missing inputs', async () => {
      await assert.rejects(computeDuckDbKpis({ input: root, threads: 0 }), OptionsError);
      await assert.rejects(
        computeDuckDbKpis({ input: join(root, 'nothing') }),
        /No songs CSV files/,
      );
    });
  });
}
