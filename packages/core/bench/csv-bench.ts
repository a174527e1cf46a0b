/**
 * Benchmark (not a test): the fast CSV tokenizer vs csv-parser on ~1M
 * stream-like rows held in memory, pushed in 64 KiB chunks.
 *
 *   node --conditions=source --import tsx packages/core/bench/csv-bench.ts [rows]
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import csvParser from 'csv-parser';
import { createCsvTokenizer } from '../src/parse/internal/fast-csv.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const CHUNK = 64 * 1024;
const RUNS = 5;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Deterministic PRNG so runs compare. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Stream-like CSV; `quotedShare` of the rows get a quoted track id with a comma and a quote. */
function makeCsv(rows: number, quotedShare: number): Buffer[] {
  const next = random(42);
  const parts: string[] = ['user_id,track_id,listen_time\n'];
  for (let i = 0; i < rows; i++) {
    let track = '';
    for (let j = 0; j < 22; j++) track += ALPHABET[Math.floor(next() * 62)];
    if (next() < quotedShare) track = `"${track.slice(0, 10)}, ""x""${track.slice(10)}"`;
    const day = String(1 + (i % 28)).padStart(2, '0');
    parts.push(`${Math.floor(next() * 100_000)},${track},2024-06-${day} 17:43:13\n`);
  }
  const all = Buffer.from(parts.join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

function fastTokenizer(chunks: readonly Buffer[]): number {
  const tokenizer = createCsvTokenizer();
  let rows = 0;
  let checksum = 0;
  const consume = (batch: ReturnType<typeof tokenizer.end>) => {
    rows += batch.length;
    // Touch one column so the work cannot be skipped.
    for (let r = 0; r < batch.length; r++) checksum += batch.cells[batch.starts[r]! + 1]!.length;
  };
  for (const chunk of chunks) consume(tokenizer.push(chunk));
  consume(tokenizer.end());
  if (checksum === 0) throw new Error('nothing tokenized');
  return rows;
}

async function withCsvParser(chunks: readonly Buffer[]): Promise<number> {
  let rows = 0;
  await pipeline(Readable.from(chunks, { objectMode: false }), csvParser(), async (records) => {
    for await (const _ of records) rows++;
  });
  return rows;
}

async function measure(
  name: string,
  chunks: readonly Buffer[],
  run: (chunks: readonly Buffer[]) => number | Promise<number>,
): Promise<void> {
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    rows = await run(chunks);
    const cpu = process.cpuUsage(cpuStarted);
    times.push(performance.now() - started);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  // Best run, by wall and by CPU time (CPU time is steadier on a busy machine).
  const best = Math.min(...times);
  const bestCpu = Math.min(...cpuTimes);
  const rate = (ms: number) =>
    `${(rows / ms / 1000).toFixed(2).padStart(5)} M rows/s ${(bytes / ms / 1000).toFixed(0).padStart(4)} MB/s`;
  console.log(
    `${name.padEnd(32)} ${rows} rows | wall ${best.toFixed(0).padStart(5)} ms ${rate(best)} | ` +
      `cpu ${bestCpu.toFixed(0).padStart(5)} ms ${rate(bestCpu)} | wall runs ${times.map((t) => t.toFixed(0)).join(', ')}`,
  );
}

const plain = makeCsv(ROWS, 0);
const quoted = makeCsv(ROWS, 0.05);
const size = (chunks: readonly Buffer[]) =>
  (chunks.reduce((s, c) => s + c.length, 0) / 1e6).toFixed(1);
console.log(
  `${ROWS} stream-like rows: ${size(plain)} MB unquoted, ${size(quoted)} MB with 5% quoted; ` +
    `${CHUNK / 1024} KiB chunks; Node ${process.version}`,
);
await measure('fast tokenizer, unquoted', plain, fastTokenizer);
await measure('fast tokenizer, 5% quoted rows', quoted, fastTokenizer);
await measure('csv-parser, unquoted', plain, withCsvParser);
await measure('csv-parser, 5% quoted rows', quoted, withCsvParser);
