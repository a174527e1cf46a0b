/**
 * Benchmark (not a test) of join + aggregate: 5M generated stream rows in
 * memory batches (7 days, 114 genres, 50k users, 89k tracks / 114k songs).
 *
 *   node --conditions=source --import tsx packages/core/bench/aggregate-bench.ts [rows]
 *
 * Prints songs-table load time, rows/s of join + aggregate, and state bytes
 * per date × genre key (serialized size / keys, and heap delta / keys).
 */
import { kpiStateStats } from '../src/aggregate/kpi-merge.js';
import {
  aggregateDailyKpis,
  buildSongsTable,
  type DeadLetterEntry,
  finalizeKpis,
  type JoinMetrics,
  joinSongs,
  pipeline,
  type SongRow,
  type SourceRef,
  type StreamBatch,
  serializeKpiState,
  type ValidBatch,
} from '../src/index.js';
import { usersTableFromIds } from '../src/join/users-table.js';
import { rowAcceptors } from '../src/validate/row-acceptors.js';
import { prng } from '../test/helpers/prng.js';

const ROWS = Number(process.argv[2] ?? 5_000_000);
const BATCH = 1000;
const DAYS = 7;
const USERS = 50_000;
const SONG_ROWS = 114_000;
const TRACKS = 89_000;
const GENRES = 114;
const source: SourceRef = { id: 'bench://streams', key: 'streams/bench.csv' };

const random = prng(42);
const songBatches: ValidBatch<SongRow>[] = [];
for (let start = 0; start < SONG_ROWS; start += BATCH) {
  const batch = rowAcceptors.songs.create(source);
  for (let i = start; i < Math.min(start + BATCH, SONG_ROWS); i++) {
    const value = {
      track_id: `spotify:${(i % TRACKS).toString(36).padStart(8, '0')}`,
      track_name: `Song ${i}`,
      duration_ms: 120_000 + Math.floor(random() * 180_000),
      track_genre: `genre-${Math.floor(random() * GENRES)}`,
    };
    rowAcceptors.songs.push(batch, value, i + 2);
  }
  songBatches.push(batch);
}
const t0 = performance.now();
const { value: songs } = await pipeline(songBatches).to(buildSongsTable()).run();
const loadMs = performance.now() - t0;
const users = usersTableFromIds(Array.from({ length: USERS }, (_, i) => i + 1));

// Stream rows: pre-generated so the timing covers join + aggregate only.
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
const batches: StreamBatch[] = [];
for (let start = 0; start < ROWS; start += BATCH) {
  const batch = rowAcceptors.streams.create(source);
  for (let i = start; i < Math.min(start + BATCH, ROWS); i++) {
    const day = 20 + Math.floor(random() * DAYS);
    const secs = Math.floor(random() * 86_400);
    const value = {
      user_id: 1 + Math.floor(random() * USERS * 1.01), // ~1 % unknown users
      track_id: songs.trackIds[Math.floor(random() * TRACKS)]!,
      listen_time: `2024-06-${day} ${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`,
    };
    rowAcceptors.streams.push(batch, value, i + 2);
  }
  batches.push(batch);
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const deadLetters: DeadLetterEntry[] = [];
const metrics: JoinMetrics = { joined: 0, unknownTracks: 0, unknownUsers: 0 };
const join = joinSongs({
  songs,
  users,
  metrics,
  deadLetter: {
    write: async (e) => {
      deadLetters.push(...e);
    },
    close: async () => {},
  },
});
for (const timeZone of ['UTC', 'America/New_York']) {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t1 = performance.now();
  const { value: state } = await pipeline(from(batches))
    .through(join)
    .to(aggregateDailyKpis({ timeZone }))
    .run();
  const aggMs = performance.now() - t1;
  globalThis.gc?.();
  const heapDelta = process.memoryUsage().heapUsed - heapBefore;
  const stats = kpiStateStats(state);
  const t2 = performance.now();
  const bytes = serializeKpiState(state);
  const serMs = performance.now() - t2;
  const t3 = performance.now();
  const items = finalizeKpis(state);
  const finMs = performance.now() - t3;
  console.log(
    JSON.stringify(
      {
        timeZone,
        rows: ROWS,
        joinAggregateMs: Math.round(aggMs),
        rowsPerSecond: Math.round(ROWS / (aggMs / 1000)),
        keys: stats.keys,
        serializedBytes: bytes.length,
        serializedBytesPerKey: Math.round(bytes.length / stats.keys),
        typedArrayBytesPerKey: Math.round(stats.approxBytes / stats.keys),
        heapDeltaBytesPerKey: globalThis.gc
          ? Math.round(heapDelta / stats.keys)
          : 'run with --expose-gc',
        serializeMs: Math.round(serMs),
        finalizeMs: Math.round(finMs),
        items: items.length,
      },
      null,
      1,
    ),
  );
}
console.log(
  JSON.stringify({
    songsTableLoadMs: Math.round(loadMs),
    songs: songs.stats,
    users: users.stats,
    unknownUsers: metrics.unknownUsers,
    unknownTracks: metrics.unknownTracks,
  }),
);
