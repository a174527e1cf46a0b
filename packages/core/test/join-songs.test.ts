import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildSongsTable,
  buildUsersTable,
  joinSongs,
  OptionsError,
  pipeline,
  type SongRow,
  type StreamRow,
  songsTableFromRows,
  toStreamStage,
} from '../src/index.js';
import { createJoinMetrics } from '../src/join/join-songs.js';
import { usersTableFromIds } from '../src/join/users-table.js';
import { rowAcceptors } from '../src/validate/row-acceptors.js';
import {
  CollectingSink,
  fromArray,
  sourceRef,
  streamBatches,
  trackPairs,
} from './helpers/kpi-fixtures.js';

const songs: SongRow[] = [
  { track_id: 'a', track_name: 'First', duration_ms: 100, track_genre: 'pop' },
  { track_id: 'a', track_name: 'Second', duration_ms: 200, track_genre: 'pop' },
  { track_id: 'a', track_name: 'Rock A', duration_ms: 300, track_genre: 'rock' },
  { track_id: 'b', track_name: '', duration_ms: 0, track_genre: 'pop' },
];

describe('join-songs', () => {
  it('the songs table fans a track out to every genre, first row per (track, genre) wins', () => {
    const table = songsTableFromRows(songs);
    assert.deepEqual(trackPairs(table, 'a'), [
      ['pop', 'First', 100],
      ['rock', 'Rock A', 300],
    ]);
    assert.equal(table.trackOf('missing'), -1);
    assert.deepEqual(
      { ...table.stats, approxBytes: table.stats.approxBytes > 0 },
      { rows: 4, duplicatePairs: 1, tracks: 2, pairs: 3, genres: 2, approxBytes: true },
    );
  });

  it('loads 114,000 song rows (89,000 tracks, 114 genres) by streaming batches', async () => {
    async function* batches() {
      const source = sourceRef('songs.csv');
      for (let start = 0; start < 114_000; start += 1000) {
        const batch = rowAcceptors.songs.create(source);
        for (let i = start; i < start + 1000; i++) {
          const value = {
            track_id: `track-${i % 89_000}`,
            track_name: `Name ${i}`,
            duration_ms: 180_000 + i,
            track_genre: `genre-${(i * 7) % 114}`,
          };
          rowAcceptors.songs.push(batch, value, i + 2);
        }
        yield batch;
      }
    }
    const { value: table } = await pipeline(batches()).to(buildSongsTable()).run();
    assert.equal(table.stats.rows, 114_000);
    assert.equal(table.stats.tracks, 89_000);
    assert.equal(table.stats.genres, 114);
    assert.equal(table.stats.pairs + table.stats.duplicatePairs, 114_000);
  });

  it('the users table holds distinct integer ids, including ids above 2^32', async () => {
    const batch = rowAcceptors.users.create(sourceRef('users.csv'));
    [1, 2, 2, 5_000_000_000].forEach((user_id, i) => {
      rowAcceptors.users.push(batch, { user_id }, i + 2);
    });
    const { value: users } = await pipeline([batch]).to(buildUsersTable()).run();
    assert.deepEqual(users.stats.users, 3);
    assert.equal(users.has(5_000_000_000), true);
    assert.equal(users.has(3), false);
  });

  it('unknown tracks go to the dead letter as unknown_track; unknown users are kept and counted', async () => {
    const sink = new CollectingSink();
    const metrics = createJoinMetrics();
    const rows: StreamRow[] = [
      { user_id: 1, track_id: 'a', listen_time: '2024-06-25 10:00:00' },
      { user_id: 99, track_id: 'b', listen_time: '2024-06-25 10:00:00' },
      { user_id: 1, track_id: 'nope', listen_time: '2024-06-25 11:00:00' },
    ];
    const join = joinSongs({
      songs: songsTableFromRows(songs),
      users: usersTableFromIds([1]),
      deadLetter: sink,
      metrics,
    });
    const out = [];
    for await (const batch of toStreamStage(join)(
      fromArray(streamBatches(rows, sourceRef('s/1.csv'), 2)),
    ))
      out.push(batch);
    assert.deepEqual(
      out.map((b) => [b.values.user_id, b.lines, b.tracks]),
      [
        [
          [1, 99],
          [2, 3],
          [0, 1],
        ],
      ],
    );
    assert.deepEqual(sink.entries, [
      {
        source: sourceRef('s/1.csv'),
        line: 4,
        raw: { user_id: '1', track_id: 'nope', listen_time: '2024-06-25 11:00:00' },
        reasons: [
          {
            reason: 'unknown_track',
            field: 'track_id',
            message: 'track_id "nope" is not in the songs table',
          },
        ],
      },
    ]);
    assert.deepEqual(metrics, { joined: 2, unknownTracks: 1, unknownUsers: 1 });
  });

  it('bad options throw OptionsError naming the option', () => {
    const deadLetter = new CollectingSink();
    assert.throws(
      () => joinSongs({ songs: [] as never, deadLetter }),
      (e: unknown) => e instanceof OptionsError && /songs/.test(e.message),
    );
    assert.throws(
      () => joinSongs({ songs: songsTableFromRows(songs), deadLetter: {} as never }),
      /deadLetter/,
    );
  });

  it('stops between batches when aborted', async () => {
    const controller = new AbortController();
    const join = joinSongs({ songs: songsTableFromRows(songs), deadLetter: new CollectingSink() });
    const rows = streamBatches([{ user_id: 1, track_id: 'a', listen_time: '2024-06-25 10:00:00' }]);
    const it = toStreamStage(join)(fromArray([...rows, ...rows]), { signal: controller.signal });
    assert.equal((await it.next()).done, false);
    controller.abort(new Error('cancelled'));
    await assert.rejects(it.next(), /cancelled/);
  });
});
