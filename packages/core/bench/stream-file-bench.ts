/**
 * Benchmark (not a test) of the single-threaded per-file path: songs load,
 * then `aggregateStreamFile` over every CSV of `<dir>/streams`, then the
 * sequential merge of the per-file states (as the runners do).
 *
 *   node --conditions=source --import tsx packages/core/bench/stream-file-bench.ts <dir> [fused|stages] [runs]
 *
 * `<dir>` as written by the examples' generator (`songs/songs.csv`,
 * `streams/*.csv`). Prints wall and CPU times (CPU = user + system of this
 * process, which is what to compare on a shared machine) and rows/s.
 */
import { createReadStream, readdirSync } from 'node:fs';
import {
  aggregateStreamFile,
  finalizeKpis,
  type KpiState,
  loadSongsTable,
  memoryDeadLetter,
  mergeKpiStates,
  RunMetrics,
} from '../src/index.js';

const dir = process.argv[2] ?? '/tmp/ds1m';
const csvEngine = (process.argv[3] ?? 'fast') as 'fast' | 'csv-parser';
const runs = Number(process.argv[4] ?? 3);

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  return { value, wall: performance.now() - t0, cpu: cpuMs(c0) };
}

const files = readdirSync(`${dir}/streams`)
  .filter((f) => f.endsWith('.csv') || f.endsWith('.csv.gz'))
  .sort();
for (let run = 0; run < runs; run++) {
  const dl = memoryDeadLetter();
  const songs = await timed(() =>
    loadSongsTable(createReadStream(`${dir}/songs/songs.csv`), {
      source: { id: 'songs', key: 'songs.csv' },
      deadLetter: dl,
    }),
  );
  const metrics = new RunMetrics();
  const states: KpiState[] = [];
  const streams = await timed(async () => {
    for (const f of files) {
      const key = `${dir}/streams/${f}`;
      const r = await aggregateStreamFile(createReadStream(key), {
        source: { id: key, key },
        songs: songs.value,
        deadLetter: dl,
        metrics,
        csvEngine,
      });
      states.push(r.state);
    }
  });
  const merge = await timed(async () => {
    let state = states[0]!;
    for (const s of states.slice(1)) state = mergeKpiStates(state, s);
    return state;
  });
  const items = finalizeKpis(merge.value).length;
  const rows = metrics.rowsRead;
  console.log(
    JSON.stringify({
      csvEngine,
      rows,
      items,
      songsWallMs: Math.round(songs.wall),
      songsCpuMs: Math.round(songs.cpu),
      streamsWallMs: Math.round(streams.wall),
      streamsCpuMs: Math.round(streams.cpu),
      rowsPerSecWall: Math.round(rows / (streams.wall / 1000)),
      rowsPerSecCpu: Math.round(rows / (streams.cpu / 1000)),
      mergeMs: Math.round(merge.wall),
      rssMb: Math.round(process.memoryUsage.rss() / 1e6),
    }),
  );
}
