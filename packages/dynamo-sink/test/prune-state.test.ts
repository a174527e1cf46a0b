/**
 * State retention: `pruneState` removes folded partials and superseded
 * snapshots older than the grace period, never a result: the table stays
 * the oracle, later arrivals and duplicate events still commit exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { pruneState, readKpiItems, runKpis } from '../src/index.js';
import { useEmulators } from './helpers/e2e.js';
import { assertExactlyOnce, seedBucket, streamFiles } from './helpers/exactly-once.js';

describe('pruneState', () => {
  const env = useEmulators();

  it('removes folded partials and old snapshots after the grace period without changing any result', async () => {
    const bucket = 'eo-prune';
    const tableName = 'kpis-prune';
    const files = streamFiles(51, 6, 10);
    const [first, ...later] = files;
    assert.ok(first);
    await seedBucket(env.s3, bucket, [first]);
    const run = (keys?: string[]) =>
      runKpis({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket,
        tableName,
        threads: 0,
        ...(keys ? { keys } : {}),
      });
    assert.equal((await run()).ok, true);
    for (const f of later.slice(0, 3)) {
      await env.put(f.key, f.body, bucket);
      assert.equal((await run()).ok, true);
    }
    const partialsBefore = await env.keys('state/partials/', bucket);
    const snapshotsBefore = await env.keys('state/snapshots/', bucket);
    assert.equal(partialsBefore.length > 4, true, 'one partial per file and date');
    const items = await readKpiItems(env.dynamo, tableName);

    // Within the grace period nothing goes.
    const kept = await pruneState({ s3: env.s3, dynamo: env.dynamo, bucket, tableName });
    assert.deepEqual(kept, { dates: kept.dates, partialsDeleted: 0, snapshotsDeleted: 0 });
    assert.deepEqual(await env.keys('state/partials/', bucket), partialsBefore);

    // Past it (a clock one day ahead): every folded partial and all but the current snapshots.
    const pruned = await pruneState({
      s3: env.s3,
      dynamo: env.dynamo,
      bucket,
      tableName,
      now: () => new Date(Date.now() + 86_400_000 + 1000),
    });
    assert.equal(pruned.partialsDeleted, partialsBefore.length);
    assert.deepEqual(await env.keys('state/partials/', bucket), []);
    const snapshotsAfter = await env.keys('state/snapshots/', bucket);
    assert.equal(snapshotsAfter.length, pruned.dates, 'one snapshot per date left');
    assert.equal(pruned.snapshotsDeleted, snapshotsBefore.length - snapshotsAfter.length);
    assert.deepEqual(await readKpiItems(env.dynamo, tableName), items, 'the table is untouched');

    // A duplicate event for a pruned object is still skipped; new arrivals still commit exactly.
    const dup = await run([first.key]);
    assert.deepEqual(
      dup.outcomes.map((x) => x.status),
      ['skipped'],
    );
    assert.equal(dup.ok, true);
    for (const f of later.slice(3)) await env.put(f.key, f.body, bucket);
    assert.equal((await run()).ok, true);
    await assertExactlyOnce({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, files });
  });

  it('rejects bad options before any request', async () => {
    await assert.rejects(
      pruneState({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-prune',
        tableName: 'kpis-prune',
        graceMs: -1,
      }),
      (error: unknown) => error instanceof OptionsError && /graceMs/.test(error.message),
    );
  });
});
