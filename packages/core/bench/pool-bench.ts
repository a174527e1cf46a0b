/**
 * Worker-pool throughput: a local dataset folder (as made by `pnpm kpis
 * generate`) aggregated on N threads, partials merged on the main thread.
 * Not a test. `node --conditions=source --import tsx packages/core/bench/pool-bench.ts DIR [threads]`
 */
import { createReadStream, readdirSync } from 'node:fs';
import {
  createAggregatePool,
  deserializeKpiState,
  finalizeKpis,
  loadSongsTable,
  memoryDeadLetter,
  mergeKpiStates,
} from '../src/index.js';

const dir = process.argv[2] ?? '/tmp/ds1m';
const threads = Number(process.argv[3] ?? 2);
const t0 = performance.now();
const songs = await loadSongsTable(createReadStream(`${dir}/songs/songs.csv`), {
  source: { id: 'songs', key: 'songs.csv' },
  deadLetter: memoryDeadLetter(),
});
const t1 = performance.now();
const pool = createAggregatePool({ songs, threads });
const files = readdirSync(`${dir}/streams`).sort();
const results = await Promise.all(
  files.map((f) => {
    const path = `${dir}/streams/${f}`;
    return pool.aggregate({ id: path, key: f }, { path });
  }),
);
const t2 = performance.now();
const states = results.map((r) => deserializeKpiState(r.state));
const merged = mergeKpiStates(states[0]!, ...states.slice(1));
const items = finalizeKpis(merged);
const t3 = performance.now();
await pool.close();
const rows = results.reduce((n, r) => n + r.counts.rowsRead, 0);
console.log({
  threads,
  songsMs: Math.round(t1 - t0),
  aggregateMs: Math.round(t2 - t1),
  mergeFinalizeMs: Math.round(t3 - t2),
  rows,
  rowsPerSecond: Math.round(rows / ((t3 - t0) / 1000)),
  items: items.length,
  rssMB: Math.round(process.memoryUsage.rss() / 1e6),
});
