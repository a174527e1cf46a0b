/**
 * Exactly-once (SPEC §6) against s3rver + dynalite: A then B == A+B, the same
 * object twice (re-run, duplicate event, identical re-upload), a late file for
 * a finalised date, the dead letter exactly once and conservation. Crashes and
 * concurrent workers: exactly-once-crash.test.ts, exactly-once-workers.test.ts.
 * Against dynalite and DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { readKpiItems, runKpis } from '../src/index.js';
import { DYNAMO_BACKENDS } from '../src/testing.js';
import { expected, startEmulators, tableItems, useEmulators } from './helpers/e2e.js';
import {
  assertExactlyOnce,
  deadLetterRows,
  rejectedRows,
  rowCount,
  seedBucket,
  streamFiles,
} from './helpers/exactly-once.js';
import { kpiFields } from './helpers/kpi-fixtures.js';

for (const backend of DYNAMO_BACKENDS) {
  describe(`exactly once (${backend})`, () => {
    const env = useEmulators(backend);

    const run = (bucket: string, tableName: string, extra: { keys?: string[] } = {}) =>
      runKpis({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, ...extra });

    it('A then B in two runs gives the same table as A and B in one run on fresh emulators', async () => {
      const [a, b] = streamFiles(11, 2, 20);
      assert.ok(a && b);
      await seedBucket(env.s3, 'eo-a-then-b', [a]);
      const first = await run('eo-a-then-b', 'kpis-a-then-b');
      assert.equal(first.ok, true);
      await env.put(b.key, b.body, 'eo-a-then-b');
      const second = await run('eo-a-then-b', 'kpis-a-then-b');
      assert.equal(second.ok, true);
      assert.equal(second.objects.processed, 1, 'only B is read in the second run');

      const fresh = await startEmulators(backend);
      try {
        await seedBucket(fresh.s3, 'eo-together', [a, b]);
        const together = await runKpis({
          s3: fresh.s3,
          dynamo: fresh.dynamo,
          bucket: 'eo-together',
          tableName: 'kpis-together',
        });
        assert.equal(together.ok, true);
        const oneRun = await tableItems(fresh.dynamo, 'kpis-together');
        assert.deepEqual(await env.tableItems('kpis-a-then-b'), oneRun);
        assert.deepEqual(oneRun, expected([a.body, b.body]));
      } finally {
        await fresh.close();
      }
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-a-then-b',
        tableName: 'kpis-a-then-b',
        files: [a, b],
      });
    });

    it('running twice over the same prefix changes nothing and bumps no version', async () => {
      const files = streamFiles(12, 3);
      await seedBucket(env.s3, 'eo-twice', files);
      const first = await run('eo-twice', 'kpis-twice');
      assert.equal(first.ok, true);
      const before = await readKpiItems(env.dynamo, 'kpis-twice');
      const second = await run('eo-twice', 'kpis-twice');
      assert.equal(second.ok, true);
      assert.equal(second.objects.processed + second.objects.skipped, 0, 'nothing left to read');
      assert.equal(second.streams.rowsRead, 0);
      assert.deepEqual(
        await readKpiItems(env.dynamo, 'kpis-twice'),
        before,
        'items and versions kept',
      );
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-twice',
        tableName: 'kpis-twice',
        files,
      });
    });

    it('a duplicate event for an already archived key is skipped, not failed, and counts nothing', async () => {
      const [file] = streamFiles(13, 1, 16);
      assert.ok(file);
      await seedBucket(env.s3, 'eo-dup-event', [file]);
      const first = await run('eo-dup-event', 'kpis-dup-event', { keys: [file.key] });
      assert.equal(first.ok, true);
      assert.equal(first.objects.processed, 1);
      const versions = (await readKpiItems(env.dynamo, 'kpis-dup-event')).map((i) => i.version);

      const again = await run('eo-dup-event', 'kpis-dup-event', { keys: [file.key] });
      assert.deepEqual(
        again.outcomes.map((o) => [o.key, o.status, o.archived]),
        [[file.key, 'skipped', true]],
        String(again.outcomes[0]?.error),
      );
      assert.equal(again.ok, true);
      assert.equal(again.streams.rowsRead, 0);
      assert.deepEqual(
        (await readKpiItems(env.dynamo, 'kpis-dup-event')).map((i) => i.version),
        versions,
      );
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-dup-event',
        tableName: 'kpis-dup-event',
        files: [file],
      });
    });

    it('the same content uploaded again under the same key has the same ETag and is skipped', async () => {
      const [file] = streamFiles(14, 1, 16);
      assert.ok(file);
      await seedBucket(env.s3, 'eo-reupload', [file]);
      const etag = async () =>
        (await env.s3.send(new HeadObjectCommand({ Bucket: 'eo-reupload', Key: file.key }))).ETag;
      const firstEtag = await etag();
      assert.equal((await run('eo-reupload', 'kpis-reupload')).ok, true);

      // Observed: s3rver (like S3 for single-part uploads) gives identical bytes
      // the same MD5 ETag, so this is the same object version (same objectId).
      await env.put(file.key, file.body, 'eo-reupload');
      assert.equal(await etag(), firstEtag);
      const again = await run('eo-reupload', 'kpis-reupload');
      assert.equal(again.ok, true);
      assert.equal(again.objects.skipped, 1);
      assert.equal(again.objects.processed, 0);
      assert.equal(again.objects.archived, 1, 're-upload archived again (same bytes)');
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-reupload',
        tableName: 'kpis-reupload',
        files: [file],
      });
    });

    it('a late file for an already finalised date updates it to the oracle at a higher version', async () => {
      const files = streamFiles(15, 2, 16);
      await seedBucket(env.s3, 'eo-late', files);
      assert.equal((await run('eo-late', 'kpis-late')).ok, true);
      const date = '2024-06-25';
      const before = await readKpiItems(env.dynamo, 'kpis-late', date);
      assert.ok(before.length > 0, 'the date exists after the first run');
      const late = {
        key: 'streams/late.csv',
        body: 'user_id,track_id,listen_time\n6,t4,2024-06-25 12:00:00\n1,t1,2024-06-25 13:00:00\nbad,t1,2024-06-25 13:00:00\n',
      };
      await env.put(late.key, late.body, 'eo-late');
      const second = await run('eo-late', 'kpis-late');
      assert.equal(second.ok, true);
      assert.deepEqual(
        second.dates.map((d) => d.date),
        [date],
        'only the late date is recomputed',
      );
      const after = await readKpiItems(env.dynamo, 'kpis-late', date);
      // Only the items whose KPIs changed are rewritten, at the new version; the others keep theirs.
      const old = new Map(before.map((i) => [i.track_genre, i]));
      let rewritten = 0;
      for (const item of after) {
        const was = old.get(item.track_genre);
        const same =
          was !== undefined && JSON.stringify(kpiFields(was)) === JSON.stringify(kpiFields(item));
        if (same) assert.equal(item.version, was.version, `${item.track_genre} kept`);
        else {
          rewritten++;
          assert.ok(
            Number(item.version) > Number(was?.version ?? 0),
            `${item.track_genre} version`,
          );
        }
      }
      assert.ok(rewritten > 0, 'the late file changed some items');
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-late',
        tableName: 'kpis-late',
        files: [...files, late],
      });
    });

    it('a clean run conserves rows per source and dead-letters each rejected row once', async () => {
      const files = streamFiles(16, 4, 18);
      await seedBucket(env.s3, 'eo-conserve', files);
      const summary = await run('eo-conserve', 'kpis-conserve');
      assert.equal(summary.ok, true);
      const s = summary.streams;
      assert.equal(s.rowsRead, rowCount(files));
      assert.equal(s.rowsRead, s.rowsAggregated + s.rowsRejected);
      assert.equal(s.rowsRejected, rejectedRows(files).length);
      assert.ok(s.rowsRejected > 0, 'the data has dirty rows');
      assert.equal(
        Object.values(s.rejectedByReason).reduce((n, x) => n + x, 0),
        s.rowsRejected,
      );
      const sources = Object.values(s.sources);
      assert.equal(sources.length, files.length, 'one source entry per stream object');
      for (const c of sources) assert.equal(c.rowsRead, c.rowsAggregated + c.rowsRejected);
      const perKey = Object.entries(s.sources)
        .map(([id, c]) => [id.replace(/^s3:\/\/eo-conserve\//, '').replace(/#.*$/, ''), c.rowsRead])
        .sort();
      assert.deepEqual(
        perKey,
        files.map((f) => [f.key, f.body.trimEnd().split('\n').length - 1]).sort(),
      );
      assert.equal((await deadLetterRows(env.s3, 'eo-conserve')).length, s.rowsRejected);
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-conserve',
        tableName: 'kpis-conserve',
        files,
      });
    });
  });
}
