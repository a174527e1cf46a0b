/**
 * The aggregator keeps a file's listens in per-date slots (dense track
 * counts, buffered listener ids) and moves them into the cells when a date
 * needs a slot and none is free, when a buffer fills, and at the end; a
 * track's count past one byte moves aside. These
 * inputs are big enough for all three, and fold into states that share
 * cells with others (copy-on-write) or already hold other tables' tracks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregateDailyKpis,
  finalizeKpis,
  joinSongs,
  type KpiState,
  memoryDeadLetter,
  mergeKpiStates,
  pipeline,
  type SongRow,
  type StreamRow,
  songsTableFromRows,
} from '../src/index.js';
import { fromArray, runKpis, streamBatches } from './helpers/kpi-fixtures.js';
import { oracleKpis } from './helpers/oracle.js';
import { prng } from './helpers/prng.js';

const GENRES = ['pop', 'rock', 'jazz'];

/** 40 tracks, some under two or three genres. */
function songRows(seed: number): SongRow[] {
  const random = prng(seed);
  const rows: SongRow[] = [];
  for (let t = 0; t < 40; t++) {
    const under = 1 + Math.floor(random() * 3);
    for (let k = 0; k < under; k++) {
      rows.push({
        track_id: `t${t}`,
        track_name: `Song ${t}.${k}`,
        duration_ms: 1000 + Math.floor(random() * 300_000),
        track_genre: GENRES[(t + k) % GENRES.length]!,
      });
    }
  }
  return rows;
}

/** `n` listens spread over `dates` consecutive dates, in random order; some unknown tracks. */
function streamRows(seed: number, n: number, dates: number): StreamRow[] {
  const random = prng(seed);
  const rows: StreamRow[] = [];
  for (let i = 0; i < n; i++) {
    const day = 1 + Math.floor(random() * dates);
    const hour = Math.floor(random() * 24);
    rows.push({
      // A few ids past 2^32: the listener buffers hold any id.
      user_id: random() < 0.01 ? 2 ** 40 + i : 1 + Math.floor(random() * 5000),
      track_id: random() < 0.02 ? 'unknown' : `t${Math.floor(random() * 40)}`,
      listen_time: `2024-01-${String(day).padStart(2, '0')} ${String(hour).padStart(2, '0')}:30:00Z`,
    });
  }
  return rows;
}

/** Folds `streams` against `songs` into `state` (one open of the sink). */
async function foldInto(state: KpiState, songs: readonly SongRow[], streams: readonly StreamRow[]) {
  const known = new Set(songs.map((s) => s.track_id));
  const rows = streams.filter((r) => known.has(r.track_id));
  const { value } = await pipeline(fromArray(streamBatches(rows, undefined, 997)))
    .through(joinSongs({ songs: songsTableFromRows(songs), deadLetter: memoryDeadLetter() }))
    .to(aggregateDailyKpis({ state }))
    .run();
  return value;
}

describe('aggregate fold slots', () => {
  it('many dates in random order (slots drained to make room) and full listener buffers equal the oracle', async () => {
    const songs = songRows(1);
    // 20 dates in random order > the 8 slots a folder holds; then ~2000
    // listens per genre and date, more than a buffer holds.
    const streams = [...streamRows(2, 4000, 20), ...streamRows(10, 6000, 2)];
    const { state } = await runKpis(songs, streams);
    assert.deepEqual(finalizeKpis(state), oracleKpis(songs, streams));
  });

  it('a track listened to more times a date than a byte counts equals the oracle', async () => {
    const songs = songRows(11);
    // ~750 listens per track and date: each count moves past its byte twice.
    const streams = streamRows(12, 30_000, 1);
    const { state } = await runKpis(songs, streams);
    assert.deepEqual(finalizeKpis(state), oracleKpis(songs, streams));
  });

  it('folding into a state that shares its cells with another leaves the other unchanged', async () => {
    const songs = songRows(3);
    const first = streamRows(4, 3000, 3);
    const second = streamRows(5, 3000, 4);
    const { state: a } = await runKpis(songs, first);
    const before = finalizeKpis(a);
    const merged = mergeKpiStates(a);
    await foldInto(merged, songs, second);
    assert.deepEqual(finalizeKpis(merged), oracleKpis(songs, [...first, ...second]));
    assert.deepEqual(finalizeKpis(a), before);
  });

  it('a state that already holds another table’s tracks numbers this table’s as it meets them', async () => {
    const songsA = songRows(6);
    // Same ids, other names and durations, one more genre.
    const songsB = songRows(7).map((s, i) => ({
      ...s,
      track_name: `${s.track_name} (B)`,
      track_genre: i % 5 === 0 ? 'ambient' : s.track_genre,
    }));
    const first = streamRows(8, 20_000, 2);
    const second = streamRows(9, 20_000, 2);
    const { state } = await runKpis(songsA, first);
    await foldInto(state, songsB, second);
    const { state: alone } = await runKpis(songsB, second);
    const both = mergeKpiStates((await runKpis(songsA, first)).state, alone);
    assert.deepEqual(finalizeKpis(state), finalizeKpis(both));
  });
});
