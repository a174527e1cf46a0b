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
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readKpiItems } from '@streamkpi/dynamo-sink';
import type { CliSummary } from '../src/cli/summary.js';
import { generateDataset, type Manifest, uploadDirectory } from '../src/generate/index.js';
import { keys, useCliEmulators } from './helpers/cli-emulators.js';
import { comparableItems, datasetOracle } from './helpers/dataset-oracle.js';
import { runCli } from './helpers/spawn-cli.js';

const BUCKET = 'e2e-listening';
const TABLE = 'e2e_kpis';

describe('generator → s3rver → kpis run → dynalite', () => {
  const emu = useCliEmulators({ buckets: [BUCKET] });
  let root: string;
  let manifest: Manifest;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kpis-e2e-'));
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
    await uploadDirectory({ client: emu.s3, bucket: BUCKET, dir: join(root, 'data') });
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
      emu.env,
    );

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the oracle KPIs, archives the stream objects and dead-letters every rejected row', async () => {
    const summaryPath = join(root, 'summary.json');
    const r = await runPass(summaryPath);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /status\s+ok/);

    const oracle = await datasetOracle(join(root, 'data'));
    const stored = await readKpiItems(emu.dynalite.client(), TABLE);
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

    const archived = await keys(emu.s3, BUCKET, 'archive/');
    assert.equal(archived.length, 3);
    for (const f of manifest.streams.files) {
      assert.ok(
        archived.some((k) => k.endsWith(f.path.split('/').pop()!)),
        f.path,
      );
    }
    assert.deepEqual(await keys(emu.s3, BUCKET, 'streams/'), []);

    let deadLetters = 0;
    for (const key of await keys(emu.s3, BUCKET, 'dead-letter/')) {
      const body = await (
        await emu.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body!.transformToString();
      deadLetters += body.split('\n').filter((l) => l.trim() !== '').length;
    }
    assert.equal(deadLetters, summary.rowsRejected);
    assert.equal(deadLetters, totals.dirtyRows);
  });

  it('a second run finds nothing new and leaves the table unchanged', async () => {
    const previous = await readKpiItems(emu.dynalite.client(), TABLE);
    const summaryPath = join(root, 'summary-2.json');
    const r = await runPass(summaryPath);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as CliSummary;
    assert.equal(summary.objects.processed, 0);
    assert.equal(summary.rowsRead, 0);
    assert.deepEqual(await readKpiItems(emu.dynalite.client(), TABLE), previous);
  });
});
