/**
 * Worker-pool throughput: a local dataset folder (as made by `pnpm kpis
 * generate`) aggregated on N threads, partials merged on the main thread.
 * Not a test. `node --conditions=source --import tsx packages/core/bench/pool-bench.ts DIR [threads]`
 */
import { createReadStream, readdirSync } from 'node:fs';
import {
  createAggregatePool,
  finalizeKpis,
  type KpiState,
  loadSongsTable,
  memoryDeadLetter,
  mergeKpiStateInto,
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
// Each arriving state is folded into one accumulator (the first state).
let merged: KpiState | undefined;
let mergeMs = 0;
const results = await Promise.all(
  files.map(async (f) => {
    const path = `${dir}/streams/${f}`;
    const r = await pool.aggregate({ id: path, key: f }, { path });
    const m0 = performance.now();
    if (merged === undefined) merged = r.state;
    else mergeKpiStateInto(merged, r.state);
    mergeMs += performance.now() - m0;
    return r.counts;
  }),
);
const t2 = performance.now();
const items = finalizeKpis(merged!);
const t3 = performance.now();
await pool.close();
const rows = results.reduce((n, c) => n + c.rowsRead, 0);
console.log({
  threads,
  songsMs: Math.round(t1 - t0),
  aggregateMs: Math.round(t2 - t1),
  mergeMsDuringAggregate: Math.round(mergeMs),
  finalizeMs: Math.round(t3 - t2),
  rows,
  rowsPerSecond: Math.round(rows / ((t3 - t0) / 1000)),
  items: items.length,
  rssMB: Math.round(process.memoryUsage.rss() / 1e6),
});
