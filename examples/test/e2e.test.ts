/**
 * End to end, as a user runs it: generator → s3rver → `kpis run` (the real
 * CLI in a child process, endpoints from the environment) → dynalite; the
 * table equals the in-test oracle, stream objects are archived and every
 * rejected row is in the dead letter.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { readKpiItems } from '@streamkpi/dynamo-sink';
import { type DynaliteHandle, startDynalite } from '@streamkpi/dynamo-sink/testing';
import { type RunningS3rver, startS3rver } from '@streamkpi/s3-source/testing';
import type { CliSummary } from '../src/cli/summary.js';
import { generateDataset, type Manifest, uploadDirectory } from '../src/generate/index.js';
import { comparableItems, datasetOracle } from './helpers/dataset-oracle.js';
import { emulatorEnv, runCli } from './helpers/spawn-cli.js';

const BUCKET = 'e2e-listening';
const TABLE = 'e2e_kpis';

async function keys(s3: S3Client, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (!o.Key!.endsWith('/')) out.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return out.sort();
}

describe('generator → s3rver → kpis run → dynalite', () => {
  let root: string;
  let s3rver: RunningS3rver;
  let dynalite: DynaliteHandle;
  let s3: S3Client;
  let manifest: Manifest;
  let env: Record<string, string>;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kpis-e2e-'));
    [s3rver, dynalite] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startDynalite()]);
    s3 = s3rver.client();
    env = emulatorEnv(s3rver.endpoint, dynalite.endpoint);
    manifest = await generateDataset({
      dir: join(root, 'data'),
      seed: 5,
      streamRows: 10_000,
      streamFiles: 3,
      days: 2,
      songsPerGenre: 60,
      users: 3_000,
      dirtyRate: 0.03,
    });
    await uploadDirectory({ client: s3, bucket: BUCKET, dir: join(root, 'data') });
  });
  /** One `kpis run` over the bucket, as an operator would type it. */
  const runPass = (summaryPath: string) =>
    runCli(
      [
        'run',
        '--bucket',
        BUCKET,
        '--table',
        TABLE,
        '--s3-force-path-style',
        '--summary-json',
        summaryPath,
      ],
      env,
    );

  after(async () => {
    await Promise.all([s3rver.close(), dynalite.close()]);
    await rm(root, { recursive: true, force: true });
  });

  it('writes the oracle KPIs, archives the stream objects and dead-letters every rejected row', async () => {
    const summaryPath = join(root, 'summary.json');
    const r = await runPass(summaryPath);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /status\s+ok/);

    const oracle = await datasetOracle(join(root, 'data'));
    const stored = await readKpiItems(dynalite.client(), TABLE);
    assert.ok(stored.length > 100);
    assert.deepEqual(comparableItems(stored), comparableItems(oracle.items));

    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary;
    const totals = manifest.streams.totals;
    assert.equal(summary.rowsRead, totals.rows);
    assert.equal(summary.rowsRejected, totals.dirtyRows);
    assert.equal(summary.rowsAggregated, totals.validRows);
    assert.equal(summary.rowsRead, summary.rowsAggregated + summary.rowsRejected);
    assert.deepEqual(summary.objects, {
      processed: 3,
      skipped: 0,
      rejected: 0,
      failed: 0,
      claimed: 0,
      archived: 3,
    });
    assert.equal(summary.landingToCommitted?.count, 3, 'latency of every object read');
    assert.ok(
      (summary.landingToCommitted?.p95Ms ?? -1) >= (summary.landingToCommitted?.p50Ms ?? 0),
    );
    // Dates are committed as objects are captured: a date two objects share
    // is committed once or twice depending on timing, so every stored item
    // was written at least once and at most once per object.
    assert.ok(summary.itemsWritten >= stored.length, `${summary.itemsWritten} written`);
    assert.ok(summary.itemsWritten <= stored.length * 3, `${summary.itemsWritten} written`);

    const archived = await keys(s3, 'archive/');
    assert.equal(archived.length, 3);
    for (const f of manifest.streams.files) {
      assert.ok(
        archived.some((k) => k.endsWith(f.path.split('/').pop()!)),
        f.path,
      );
    }
    assert.deepEqual(await keys(s3, 'streams/'), []);

    let deadLetters = 0;
    for (const key of await keys(s3, 'dead-letter/')) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body!.transformToString();
      deadLetters += body.split('\n').filter((l) => l.trim() !== '').length;
    }
    assert.equal(deadLetters, summary.rowsRejected);
    assert.equal(deadLetters, totals.dirtyRows);
  });

  it('a second run finds nothing new and leaves the table unchanged', async () => {
    const previous = await readKpiItems(dynalite.client(), TABLE);
    const summaryPath = join(root, 'summary-2.json');
    const r = await runPass(summaryPath);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary;
    assert.equal(summary.objects.processed, 0);
    assert.equal(summary.rowsRead, 0);
    assert.deepEqual(await readKpiItems(dynalite.client(), TABLE), previous);
  });
});
