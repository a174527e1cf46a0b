/**
 * `pnpm bench --scenario arrivals [--drops 200] [--rows 2000] [--days 7] [--seed 42]`
 *
 * Files landing one at a time, as a user runs the product: `--drops` stream
 * files of `--rows` rows over `--days` dates (the generator's 114k-song
 * table and 50k users), each uploaded and followed by one `runKpis` pass over
 * `streams/` (as `kpis run` does; `threads: 0`), against s3rver and dynalite
 * in this process. Per drop it records the run's wall time, the landing →
 * committed latency of the file (its Last-Modified to its dates committed),
 * the S3 and DynamoDB requests of the run and of its commits, and the items
 * written. Writes `examples/bench/results/arrivals-<date>.{md,json}`.
 * Exit code 1 when the final table differs from a single batch run's
 * (`kpis local` over all files, the reference here).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readKpiItems, runKpis } from '@streamkpi/dynamo-sink';
import { startDynalite } from '@streamkpi/dynamo-sink/testing';
import { createBucket, startS3rver } from '@streamkpi/s3-source/testing';
import { generateDataset } from '../generate/index.js';
import { runLocalKpis } from '../local-runner.js';
import { median } from './measure.js';

/** One drop's measurements. */
export interface DropMeasurement {
  readonly drop: number;
  readonly runMs: number;
  readonly landingToCommittedMs: number;
  readonly s3Requests: number;
  /** S3 requests under `state/` (partials, manifests, snapshots, track dictionaries). */
  readonly s3StateRequests: number;
  readonly dynamoRequests: number;
  readonly itemsWritten: number;
}

/** Nearest-rank percentile. */
export function percentileOf(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return (
    sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? 0
  );
}

type Counted = { n: number; state: number };

/** Counts requests a client sends, and those whose key is under `state/`. */
function count(client: { middlewareStack: unknown }): Counted {
  const counter: Counted = { n: 0, state: 0 };
  type Handler = (args: { readonly input: unknown }) => Promise<unknown>;
  (client.middlewareStack as { add(m: never, o: object): void }).add(
    ((next: Handler) => async (args: { readonly input: unknown }) => {
      counter.n++;
      const input = args.input as { Key?: unknown; Prefix?: unknown };
      const key = typeof input.Key === 'string' ? input.Key : input.Prefix;
      if (typeof key === 'string' && key.startsWith('state/')) counter.state++;
      return next(args);
    }) as never,
    { step: 'finalizeRequest', name: 'benchCount' },
  );
  return counter;
}

/** The markdown report of a run. */
export function formatArrivals(
  drops: readonly DropMeasurement[],
  rows: number,
  days: number,
): string {
  const at = [1, Math.ceil(drops.length / 2), drops.length].filter(
    (d, i, a) => a.indexOf(d) === i && d >= 1,
  );
  const lat = drops.map((d) => d.landingToCommittedMs);
  const run = drops.map((d) => d.runMs);
  const lines = [
    `# Arrivals: ${drops.length} drops of ${rows} rows over ${days} dates`,
    '',
    'One file uploaded, then one `runKpis` pass over `streams/` (threads 0), per drop;',
    's3rver + dynalite in the same process.',
    '',
    '| | p50 | p95 |',
    '| --- | ---: | ---: |',
    `| landing → committed (ms) | ${Math.round(percentileOf(lat, 50))} | ${Math.round(percentileOf(lat, 95))} |`,
    `| run wall time (ms) | ${Math.round(percentileOf(run, 50))} | ${Math.round(percentileOf(run, 95))} |`,
    '',
    '| drop | S3 requests | of them under state/ | DynamoDB requests | items written | landing → committed (ms) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...at.map((n) => {
      const d = drops[n - 1] as DropMeasurement;
      return `| ${d.drop} | ${d.s3Requests} | ${d.s3StateRequests} | ${d.dynamoRequests} | ${d.itemsWritten} | ${Math.round(d.landingToCommittedMs)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

/** Runs the scenario; resolves the exit code. */
export async function runArrivals(argv: readonly string[], outDir: string): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string' },
      drops: { type: 'string', default: '200' },
      rows: { type: 'string', default: '2000' },
      days: { type: 'string', default: '7' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: outDir },
    },
  });
  const drops = Number(values.drops);
  const rows = Number(values.rows);
  const days = Number(values.days);
  const dir = await mkdtemp(join(tmpdir(), 'bench-arrivals-'));
  const s3rver = await startS3rver();
  const ddb = await startDynalite();
  try {
    process.stdout.write(`generating ${drops} files of ${rows} rows…\n`);
    const manifest = await generateDataset({
      dir,
      seed: Number(values.seed),
      streamRows: drops * rows,
      streamFiles: drops,
      days,
    });
    const s3 = s3rver.client();
    const dynamo = ddb.client({ maxAttempts: 3 });
    const bucket = 'bench-arrivals';
    await createBucket(s3, bucket);
    const upload = async (client: S3Client, path: string) =>
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: path, Body: await readFile(join(dir, path)) }),
      );
    await upload(s3, manifest.songs.path);
    await upload(s3, manifest.users.path);
    const s3Count = count(s3);
    const dynamoCount = count(dynamo);
    const measured: DropMeasurement[] = [];
    for (const [i, file] of manifest.streams.files.entries()) {
      await upload(s3rver.client(), file.path);
      const before = { s3: s3Count.n, state: s3Count.state, dynamo: dynamoCount.n };
      const started = performance.now();
      const summary = await runKpis({ s3, dynamo, bucket, tableName: 'kpis', threads: 0 });
      if (!summary.ok || summary.objects.processed !== 1) {
        throw new Error(`drop ${i + 1}: run not ok (${JSON.stringify(summary.objects)})`);
      }
      measured.push({
        drop: i + 1,
        runMs: performance.now() - started,
        landingToCommittedMs: summary.landingToCommitted.p50Ms,
        s3Requests: s3Count.n - before.s3,
        s3StateRequests: s3Count.state - before.state,
        dynamoRequests: dynamoCount.n - before.dynamo,
        itemsWritten: summary.itemsWritten,
      });
      if ((i + 1) % 20 === 0)
        process.stdout.write(
          `drop ${i + 1}: ${Math.round(median(measured.slice(-20).map((m) => m.runMs)))} ms a run\n`,
        );
    }
    // Reference: one batch run over every file.
    const local = await runLocalKpis({ input: dir, threads: 0 });
    const fields = (x: {
      date: string;
      track_genre: string;
      listen_count: unknown;
      top_5_genres: string;
    }) => `${x.date}|${x.track_genre}|${String(x.listen_count)}|${x.top_5_genres}`;
    const stored = (await readKpiItems(dynamo, 'kpis')).map(fields).sort();
    const reference = local.items.map(fields).sort();
    const exact = JSON.stringify(stored) === JSON.stringify(reference);
    const report = `${formatArrivals(measured, rows, days)}\nFinal table equals one batch run over all files: ${exact ? 'yes' : 'NO'}.\n`;
    const date = new Date().toISOString().slice(0, 10);
    await mkdir(values.out, { recursive: true });
    await writeFile(join(values.out, `arrivals-${date}.md`), report);
    await writeFile(
      join(values.out, `arrivals-${date}.json`),
      `${JSON.stringify({ drops, rows, days, exact, measured }, null, 2)}\n`,
    );
    process.stdout.write(report);
    return exact ? 0 : 1;
  } finally {
    await s3rver.close();
    await ddb.close();
    await rm(dir, { recursive: true, force: true });
  }
}
