/**
 * A pipeline that has run, for the dashboard tests: s3rver and dynalite
 * in-process, a generated dataset uploaded and processed by `runKpis` with
 * its run record written as `kpis run` writes it, and a dashboard server
 * over the resulting table and bucket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runKpis, runRecordOf, writeRunRecord } from '@streamkpi/dynamo-sink';
import { type DynaliteHandle, startDynalite } from '@streamkpi/dynamo-sink/testing';
import { type RunningS3rver, startS3rver } from '@streamkpi/s3-source/testing';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/server.js';
import { generateDataset, uploadDirectory } from '../../src/generate/index.js';

// The SDK's Node-version notice is not news in a test log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What {@link startDashboardFixture} gives a test. */
export interface DashboardFixture {
  readonly root: string;
  readonly bucket: string;
  readonly table: string;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly s3rver: RunningS3rver;
  readonly dynalite: DynaliteHandle;
  readonly dashboard: RunningDashboard;
  close(): Promise<void>;
}

/** Starts the emulators, generates and processes `days` days of listens, starts the dashboard. */
export async function startDashboardFixture(
  options: { readonly days?: number; readonly rows?: number } = {},
): Promise<DashboardFixture> {
  const bucket = 'dashboard-listening';
  const table = 'dashboard_kpis';
  const root = await mkdtemp(join(tmpdir(), 'kpis-dashboard-'));
  const [s3rver, dynalite] = await Promise.all([
    startS3rver({ buckets: [bucket] }),
    startDynalite(),
  ]);
  const s3 = s3rver.client();
  const dynamo = dynalite.client({ maxAttempts: 3 });
  await generateDataset({
    dir: join(root, 'data'),
    seed: 11,
    streamRows: options.rows ?? 4_000,
    streamFiles: 3,
    days: options.days ?? 3,
    songsPerGenre: 20,
    users: 1_500,
    dirtyRate: 0.02,
  });
  await uploadDirectory({ client: s3, bucket, dir: join(root, 'data') });
  const startedAt = new Date();
  const summary = await runKpis({ s3, dynamo, bucket, tableName: table, threads: 0 });
  if (!summary.ok) throw new Error('the fixture run failed');
  await writeRunRecord(runRecordOf(summary, { command: 'run', startedAt }), { s3, bucket });
  const dashboard = await startDashboard({
    dynamo,
    s3,
    tableName: table,
    bucket,
    refreshSeconds: 0,
  });
  return {
    root,
    bucket,
    table,
    s3,
    dynamo,
    s3rver,
    dynalite,
    dashboard,
    async close() {
      await dashboard.close();
      await Promise.allSettled([s3rver.close(), dynalite.close()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}
