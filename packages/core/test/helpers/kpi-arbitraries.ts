/**
 * Inputs for the KPI state property tests: random songs and listens, split
 * at random into files merged in a random order, and a small fixed case.
 */
import fc from 'fast-check';
import type { SongRow, StreamRow } from '../../src/index.js';

const GENRES = ['pop', 'rock', 'jazz', 'Pop', 'ambient', 'metal', 'folk'];

/** A songs row over five track ids, genres differing only by case included. */
export const songArb = fc.record({
  track_id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  track_name: fc.constantFrom('', 'One', 'Two', 'two', 'Ωmega'),
  duration_ms: fc.integer({ min: 0, max: 300_000 }),
  track_genre: fc.constantFrom(...GENRES),
});

const streamArb = fc.record({
  user_id: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(5_000_000_000)),
  track_id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'nope'),
  listen_time: fc
    .record({
      day: fc.integer({ min: 24, max: 27 }),
      hour: fc.integer({ min: 0, max: 23 }),
      z: fc.constantFrom('', 'Z', '+05:45'),
    })
    .map((p) => `2024-06-${p.day} ${String(p.hour).padStart(2, '0')}:30:00${p.z}`),
});

/**
 * Songs, listens, a time zone and a random split of the listens into
 * `files` (some possibly empty) with a random merge `order`.
 */
export const splitArb = fc
  .record({
    songs: fc.array(songArb, { minLength: 1, maxLength: 10 }),
    streams: fc.array(streamArb, { maxLength: 50 }),
    parts: fc.integer({ min: 1, max: 5 }),
    seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    timeZone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kathmandu'),
  })
  .map((c) => ({
    ...c,
    files: Array.from({ length: c.parts }, (_, p) =>
      c.streams.filter((_, i) => (c.seed[i] ?? 0) % c.parts === p),
    ),
    order: [...Array(c.parts).keys()].sort((x, y) => (c.seed[x + 50] ?? 0) - (c.seed[y + 50] ?? 0)),
  }));

/** A track under two genres and names (one with a comma and quotes), and an empty name. */
export const FIXED_SONGS: SongRow[] = [
  { track_id: 'a', track_name: 'Á, "quoted"', duration_ms: 1234, track_genre: 'pop' },
  { track_id: 'a', track_name: 'A', duration_ms: 1234, track_genre: 'rock' },
  { track_id: 'b', track_name: '', duration_ms: 99, track_genre: 'pop' },
];

/** Three listens over two dates, one by the largest safe integer user id. */
export const FIXED_STREAMS: StreamRow[] = [
  { user_id: 1, track_id: 'a', listen_time: '2024-06-25 01:00:00' },
  { user_id: 9_007_199_254_740_991, track_id: 'b', listen_time: '2024-06-25 02:00:00' },
  { user_id: 3, track_id: 'a', listen_time: '2024-06-26 02:00:00' },
];
