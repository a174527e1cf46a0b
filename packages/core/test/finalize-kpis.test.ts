import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averageSeconds } from '../src/finalize/finalize-kpis.js';
import { finalizeKpis, OptionsError, type SongRow, type StreamRow } from '../src/index.js';
import { runKpis } from './helpers/kpi-fixtures.js';
import { oracleKpis } from './helpers/oracle.js';

const at = (day: string) => `${day} 12:00:00`;

function listens(trackId: string, count: number, day = '2024-06-25', firstUser = 1): StreamRow[] {
  return Array.from({ length: count }, (_, i) => ({
    user_id: firstUser + i,
    track_id: trackId,
    listen_time: at(day),
  }));
}

describe('finalize-kpis', () => {
  it('avg_listening_time_per_user rounds half-up at 2 places, exactly (not half-even, not float)', () => {
    // 10.005 and 1.005 are below the half in binary floating point; 0.125 rounds down under half-even.
    assert.equal(averageSeconds(10_005, 1), '10.01');
    assert.equal(averageSeconds(1005, 1), '1.01');
    assert.equal(averageSeconds(125, 1), '0.13');
    assert.equal(averageSeconds(2015, 2), '1.01'); // 1.0075
    assert.equal(averageSeconds(10_000, 3), '3.33');
    assert.equal(averageSeconds(20_000, 3), '6.67');
    assert.equal(averageSeconds(4, 1), '0.00'); // 0.004
    assert.equal(averageSeconds(5, 1), '0.01'); // 0.005
    assert.equal(averageSeconds(183_420, 1), '183.42');
    assert.equal(averageSeconds(9_007_199_254_740_991, 7), '1286742750677.28'); // …277.284428…
    assert.equal(averageSeconds(0, 4), '0.00');
  });

  it('the average in items is the total over unique listeners', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'A', duration_ms: 10_005, track_genre: 'pop' },
    ];
    const rows = [...listens('a', 1), { user_id: 1, track_id: 'a', listen_time: at('2024-06-25') }];
    const { state } = await runKpis(songs, rows);
    const [item] = finalizeKpis(state);
    assert.equal(item?.unique_listeners, 1);
    assert.equal(item?.total_listening_time, 20_010);
    assert.equal(item?.avg_listening_time_per_user, '20.01');
  });

  it('top_3_songs: most listens first, ties by track_name then track_id in code-point order', async () => {
    const songs: SongRow[] = [
      { track_id: 'z', track_name: 'Same', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'y', track_name: 'Same', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'x', track_name: 'alpha', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'w', track_name: 'Zed', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'v', track_name: 'Most', duration_ms: 1, track_genre: 'pop' },
    ];
    // v: 3 listens; w, x, y, z: 2 each. 'Same' < 'Zed' < 'alpha' by code point (uppercase first),
    // and y < z breaks the 'Same' tie; localeCompare would put 'alpha' before 'Same'.
    const rows = [
      ...listens('v', 3),
      ...listens('w', 2),
      ...listens('x', 2),
      ...listens('y', 2),
      ...listens('z', 2),
    ];
    const { state } = await runKpis(songs, rows);
    const [item] = finalizeKpis(state);
    assert.equal(item?.top_3_songs, 'Most, Same, Same');
    assert.deepEqual(item?.top_songs, [
      { track_id: 'v', track_name: 'Most', listen_count: 3 },
      { track_id: 'y', track_name: 'Same', listen_count: 2 },
      { track_id: 'z', track_name: 'Same', listen_count: 2 },
    ]);
  });

  it('track_name ties use code-point order, not UTF-16 code-unit order', async () => {
    // U+FF5E (a BMP char) is below U+1F3B5 as a code point, above it as a code unit.
    const songs: SongRow[] = [
      { track_id: 'a', track_name: '\u{1F3B5}', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'b', track_name: '\uFF5E', duration_ms: 1, track_genre: 'pop' },
    ];
    const { state } = await runKpis(songs, [...listens('a', 1), ...listens('b', 1)]);
    assert.equal(finalizeKpis(state)[0]?.top_3_songs, '\uFF5E, \u{1F3B5}');
  });

  it('an empty track_name is shown as the track_id (and sorts as the empty string in ties)', async () => {
    const songs: SongRow[] = [
      { track_id: 'b-id', track_name: 'Aaa', duration_ms: 1, track_genre: 'pop' },
      { track_id: 'z-id', track_name: '', duration_ms: 1, track_genre: 'pop' },
    ];
    const { state } = await runKpis(songs, [...listens('b-id', 1), ...listens('z-id', 1)]);
    const [item] = finalizeKpis(state);
    assert.equal(item?.top_3_songs, 'z-id, Aaa');
    assert.deepEqual(item?.top_songs[0], { track_id: 'z-id', track_name: 'z-id', listen_count: 1 });
  });

  it('top_5_genres: most listens on the date, ties by genre name, same on every item of the date', async () => {
    const genres = ['rock', 'Pop', 'pop', 'jazz', 'ambient', 'blues', 'metal'];
    const songs: SongRow[] = genres.map((g) => ({
      track_id: g,
      track_name: g,
      duration_ms: 1,
      track_genre: g,
    }));
    const counts: Record<string, number> = {
      rock: 1,
      Pop: 2,
      pop: 2,
      jazz: 2,
      ambient: 3,
      blues: 2,
      metal: 1,
    };
    const rows = genres.flatMap((g) => listens(g, counts[g]!));
    rows.push(...listens('metal', 5, '2024-06-26'));
    const { state } = await runKpis(songs, rows);
    const items = finalizeKpis(state);
    const day1 = items.filter((i) => i.date === '2024-06-25');
    assert.equal(day1.length, 7);
    for (const item of day1) assert.equal(item.top_5_genres, 'ambient, Pop, blues, jazz, pop');
    assert.deepEqual(
      items.filter((i) => i.date === '2024-06-26').map((i) => [i.track_genre, i.top_5_genres]),
      [['metal', 'metal']],
    );
    assert.deepEqual(items, oracleKpis(songs, rows));
  });

  it('items are sorted by date then genre (code-point) and carry updated_at when asked', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'A', duration_ms: 1, track_genre: 'b' },
      { track_id: 'a', track_name: 'A', duration_ms: 1, track_genre: 'B' },
      { track_id: 'a', track_name: 'A', duration_ms: 1, track_genre: 'a' },
    ];
    const rows = [...listens('a', 1, '2024-06-26'), ...listens('a', 1, '2024-06-25')];
    const { state } = await runKpis(songs, rows);
    const items = finalizeKpis(state, { updatedAt: new Date(Date.UTC(2024, 6, 1)) });
    assert.deepEqual(
      items.map((i) => `${i.date}/${i.track_genre}`),
      [
        '2024-06-25/B',
        '2024-06-25/a',
        '2024-06-25/b',
        '2024-06-26/B',
        '2024-06-26/a',
        '2024-06-26/b',
      ],
    );
    assert.equal(items[0]?.updated_at, '2024-07-01T00:00:00.000Z');
    assert.equal('updated_at' in (finalizeKpis(state)[0] ?? {}), false);
  });

  it('fewer than three tracks give a shorter top_3_songs', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'Only', duration_ms: 1, track_genre: 'pop' },
    ];
    const { state } = await runKpis(songs, listens('a', 4));
    const [item] = finalizeKpis(state);
    assert.equal(item?.top_3_songs, 'Only');
    assert.equal(item?.top_songs.length, 1);
  });

  const oneSong: SongRow[] = [
    { track_id: 't1', track_name: 'One', duration_ms: 1_000, track_genre: 'pop' },
  ];

  it('an ISO 8601 updatedAt string is written as it is', async () => {
    const state = (await runKpis(oneSong, listens('t1', 1))).state;
    const items = finalizeKpis(state, { updatedAt: '2024-07-01T02:00:00+02:00' });
    assert.deepEqual(
      items.map((i) => i.updated_at),
      ['2024-07-01T02:00:00+02:00'],
    );
  });

  it('bad options throw OptionsError naming the option, before any item is made', async () => {
    const state = (await runKpis(oneSong, listens('t1', 1))).state;
    for (const [options, option] of [
      [{ updatedAt: new Date(Number.NaN) }, 'updatedAt'],
      [{ updatedAt: 'yesterday' }, 'updatedAt'],
      [{ updatedAt: 1_719_792_000_000 }, 'updatedAt'],
      [{ updated_at: '2024-07-01T00:00:00Z' }, 'updated_at'],
    ] as const) {
      assert.throws(
        () => finalizeKpis(state, options as never),
        (e: unknown) =>
          e instanceof OptionsError &&
          e.message.startsWith('finalizeKpis: invalid options') &&
          e.message.includes(option),
        JSON.stringify(options),
      );
    }
  });

  it('a bad updatedAt string is refused with what was expected', async () => {
    const { state } = await runKpis(oneSong, listens('t1', 1));
    assert.throws(() => finalizeKpis(state, { updatedAt: 'yesterday' }), {
      name: 'OptionsError',
      code: 'INVALID_OPTIONS',
      message:
        'finalizeKpis: invalid options — `updatedAt`: Expected an ISO 8601 date-time string such as "2024-07-01T00:00:00Z"',
    });
  });

  it('a state that is not a KpiState throws OptionsError', () => {
    assert.throws(
      () => finalizeKpis({ days: new Map() } as never),
      (e: unknown) =>
        e instanceof OptionsError && e.message.startsWith('finalizeKpis: expected `state`'),
    );
  });
});
