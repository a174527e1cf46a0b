/**
 * `pnpm demo`: the whole product in one command, nothing to install or
 * configure. Starts s3rver and dynalite in-process on 127.0.0.1, generates a
 * small dirty dataset, uploads it, runs the S3 → DynamoDB pipeline, prints
 * one day's KPI table (read back from DynamoDB) and the run summary, and
 * ends with the `kpis dashboard` command for these emulators. In a terminal
 * (or with `DEMO_KEEP=1`) the emulators then keep running for the dashboard
 * until Ctrl-C; otherwise (`DEMO_KEEP=0`, piped output) it shuts everything
 * down at once. Either way it deletes its temporary files.
 *
 * `DEMO_ROWS` (default 50000) sets the number of stream rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKpiItems, runKpis, runRecordOf, writeRunRecord } from '@streamkpi/dynamo-sink';
import { type DynaliteHandle, startDynalite } from '@streamkpi/dynamo-sink/testing';
import { type RunningS3rver, startS3rver } from '@streamkpi/s3-source/testing';
import { formatKpiTable } from './cli/kpi-table.js';
import { formatSummary, summaryOfRun } from './cli/summary.js';
import { generateDataset, uploadDirectory } from './generate/index.js';

// The SDK warns about Node < 22 support from 2027 on every start; not news for a demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BUCKET = 'demo-listening-data';
const TABLE = 'daily_genre_kpis';
const rows = Number(process.env.DEMO_ROWS ?? 50_000);

const out = (text: string) => process.stdout.write(text);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** The shell command that opens the dashboard over the demo's emulators. */
function dashboardCommand(s3Endpoint: string, dynamoEndpoint: string): string {
  return [
    `AWS_ENDPOINT_URL_S3=${s3Endpoint} AWS_ENDPOINT_URL_DYNAMODB=${dynamoEndpoint} \\`,
    'AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \\',
    `pnpm kpis dashboard --table ${TABLE} --bucket ${BUCKET} --s3-force-path-style`,
  ]
    .map((line) => `  ${line}`)
    .join('\n');
}

async function demo(): Promise<number> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'kpis-demo-'));
  let s3rver: RunningS3rver | undefined;
  let dynalite: DynaliteHandle | undefined;
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    [s3rver, dynalite] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startDynalite()]);
    out(
      `S3 emulator (s3rver) at ${s3rver.endpoint}, DynamoDB emulator (dynalite) at ${dynalite.endpoint}\n`,
    );

    const t0 = performance.now();
    const manifest = await generateDataset({
      dir: join(dir, 'data'),
      seed: 2024,
      streamRows: rows,
      streamFiles: 4,
      days: 2,
      dirtyRate: 0.01,
      songsPerGenre: 300,
      users: 20_000,
    });
    const totals = manifest.streams.totals;
    out(
      `Generated ${manifest.songs.rows.toLocaleString('en-US')} songs in ${manifest.songs.genres} genres, ` +
        `${manifest.users.rows.toLocaleString('en-US')} users, ${totals.rows.toLocaleString('en-US')} listens ` +
        `in ${manifest.streams.files.length} files (${totals.dirtyRows} dirty rows) in ${seconds(t0)}\n`,
    );

    const s3 = s3rver.client();
    const uploaded = await uploadDirectory({ client: s3, bucket: BUCKET, dir: join(dir, 'data') });
    out(`Uploaded ${uploaded.length} objects to s3://${BUCKET}/\n`);

    const dynamo = dynalite.client({ maxAttempts: 3 });
    out(`Running the pipeline s3://${BUCKET}/ → DynamoDB table ${TABLE}…\n\n`);
    const runStarted = new Date();
    const summary = await runKpis({
      s3,
      dynamo,
      bucket: BUCKET,
      tableName: TABLE,
      signal: interrupted.signal,
    });
    // The run record, as `kpis run` leaves it: the dashboard's health panel reads it.
    await writeRunRecord(runRecordOf(summary, { command: 'demo', startedAt: runStarted }), {
      s3,
      bucket: BUCKET,
    });

    const date = summary.dates[0]?.date;
    if (date !== undefined) {
      const items = await readKpiItems(dynamo, TABLE, date);
      out(formatKpiTable(items, date, { limit: 15 }));
      out(`Top 5 genres: ${items[0]?.top_5_genres ?? '–'}\n\n`);
    }
    out('Run summary\n');
    out(formatSummary(summaryOfRun('run', summary, 0)));
    out(`\nDone in ${seconds(started)}.\n`);

    const keep =
      process.env.DEMO_KEEP === undefined
        ? process.stdout.isTTY === true
        : process.env.DEMO_KEEP === '1';
    out(
      `\nSee it in the browser: in another terminal run\n\n${dashboardCommand(s3rver.endpoint, dynalite.endpoint)}\n\n`,
    );
    if (keep && !interrupted.signal.aborted) {
      out('The emulators keep running for the dashboard; press Ctrl-C to stop them.\n');
      await new Promise((resolve) => interrupted.signal.addEventListener('abort', resolve));
    } else if (!keep) {
      out('(DEMO_KEEP=1 keeps the emulators running for it.)\n');
    }
    out(`Stopping the emulators and deleting ${dir}.\n`);
    return summary.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.allSettled([s3rver?.close(), dynalite?.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await demo();
} catch (error) {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
