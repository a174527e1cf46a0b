import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { kpiStateStats } from '../src/aggregate/kpi-merge.js';
import {
  aggregateDailyKpis,
  finalizeKpis,
  OptionsError,
  pipeline,
  RunMetrics,
  type SongRow,
  type StreamRow,
} from '../src/index.js';
import { fromArray, runKpis, sourceRef } from './helpers/kpi-fixtures.js';
import { oracleKpis } from './helpers/oracle.js';

// Track ids and names chosen so code-unit order and code-point order differ
// (U+FF5E sorts after U+1F3B5 by code unit, before it by code point).
const TRACKS = ['t1', 't2', 'T3', 't\u{1F3B5}', 't\uFF5E', 'tx'];
const NAMES = ['', 'Song', 'song', 'Ñandú', '\u{1F3B5}', '\uFF5E', 'a, b "c"'];
const GENRES = ['pop', 'rock', 'Pop', 'k-pop', 'ambient', 'jazz', '\u{1F3B5}'];
const ZONES = ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Europe/London', 'Australia/Lord_Howe'];

const songArb = fc.record({
  track_id: fc.constantFrom(...TRACKS),
  track_name: fc.constantFrom(...NAMES),
  duration_ms: fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.constantFrom(0, 1, 5, 10_005)),
  track_genre: fc.constantFrom(...GENRES),
});

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

// Instants around New York DST changes and a plain summer day, written in
// every accepted form: zone-less, Z, numeric offsets, fractions.
const listenTimeArb = fc
  .record({
    day: fc.constantFrom(
      '2024-03-09',
      '2024-03-10',
      '2024-03-11',
      '2024-06-25',
      '2024-11-02',
      '2024-11-03',
    ),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.constantFrom(0, 14, 15, 29, 30, 44, 45, 59),
    second: fc.constantFrom(0, 59),
    fraction: fc.constantFrom('', '.5', '.999'),
    zone: fc.constantFrom('', '', 'Z', '+05:45', '-03:30', '+0100', '-05', 'z'),
    sep: fc.constantFrom(' ', 'T'),
  })
  .map(
    (p) => `${p.day}${p.sep}${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${p.fraction}${p.zone}`,
  );

const streamArb = fc.record({
  user_id: fc.oneof(
    fc.integer({ min: 1, max: 8 }),
    fc.constantFrom(4_294_967_296, 9_007_199_254_740_991),
  ),
  track_id: fc.oneof(fc.constantFrom(...TRACKS), fc.constant('unknown')),
  listen_time: listenTimeArb,
});

const caseArb = fc.record({
  songs: fc.array(songArb, { minLength: 1, maxLength: 14 }),
  streams: fc.array(streamArb, { maxLength: 60 }),
  timeZone: fc.constantFrom(...ZONES),
  sourceTimeZone: fc.constantFrom(...ZONES),
});

describe('aggregate-daily-kpis', () => {
  it('aggregator equals the oracle on random rows (fan-out, ties, zones, offsets, unknown tracks)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ songs, streams, timeZone, sourceTimeZone }) => {
        const { state, deadLetters } = await runKpis(songs, streams, { timeZone, sourceTimeZone });
        assert.deepEqual(
          finalizeKpis(state),
          oracleKpis(songs, streams, { timeZone, sourceTimeZone }),
        );
        const known = new Set(songs.map((s) => s.track_id));
        assert.equal(deadLetters.length, streams.filter((r) => !known.has(r.track_id)).length);
      }),
      { numRuns: 150 },
    );
  });

  it('every row is accounted for: aggregated + unknown_track = rows read, per source', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'A', duration_ms: 1000, track_genre: 'pop' },
    ];
    const streams: StreamRow[] = [
      { user_id: 1, track_id: 'a', listen_time: '2024-06-25 10:00:00' },
      { user_id: 2, track_id: 'zz', listen_time: '2024-06-25 10:00:00' },
      { user_id: 3, track_id: 'a', listen_time: '2024-06-26 10:00:00' },
    ];
    const metrics = new RunMetrics();
    const { deadLetters } = await runKpis(songs, streams, { metrics });
    assert.equal(metrics.rowsAggregated, 2);
    assert.equal(metrics.source(sourceRef('streams.csv')).rowsAggregated, 2);
    assert.equal(metrics.rowsAggregated + deadLetters.length, streams.length);
  });

  it('a listen of a multi-genre track counts once in each genre, with that pair’s duration', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'A', duration_ms: 1000, track_genre: 'pop' },
      { track_id: 'a', track_name: 'A (rock cut)', duration_ms: 3000, track_genre: 'rock' },
      { track_id: 'a', track_name: 'ignored duplicate', duration_ms: 9999, track_genre: 'pop' },
    ];
    const { state } = await runKpis(songs, [
      { user_id: 7, track_id: 'a', listen_time: '2024-06-25 10:00:00' },
    ]);
    const items = finalizeKpis(state);
    assert.deepEqual(
      items.map((i) => [i.track_genre, i.listen_count, i.total_listening_time, i.top_3_songs]),
      [
        ['pop', 1, 1000, 'A'],
        ['rock', 1, 3000, 'A (rock cut)'],
      ],
    );
    assert.equal(kpiStateStats(state).keys, 2);
  });

  it('no rows give an empty state and no items (an empty day has no items)', async () => {
    const { state } = await runKpis(
      [{ track_id: 'a', track_name: 'A', duration_ms: 1, track_genre: 'pop' }],
      [],
    );
    assert.deepEqual(finalizeKpis(state), []);
    assert.equal(kpiStateStats(state).dates, 0);
  });

  it('bad options throw OptionsError before any input is read', () => {
    assert.throws(() => aggregateDailyKpis({ timeZone: 'Mars/Olympus_Mons' }), OptionsError);
    assert.throws(() => aggregateDailyKpis({ sourceTimeZone: '' }), OptionsError);
    assert.throws(
      () => aggregateDailyKpis({ uniqueListeners: 'approx' as unknown as 'hll' }),
      /uniqueListeners/,
    );
    assert.throws(() => aggregateDailyKpis({ hllPrecision: 30 }), OptionsError);
  });

  it('aborting stops aggregation between batches', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(
      pipeline(fromArray([])).to(aggregateDailyKpis()).run({ signal: controller.signal }),
      /stop/,
    );
  });
});
