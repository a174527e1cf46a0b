import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { runKpis } from '../src/index.js';
import { BUCKET, expected, songsCsv, streamsCsv, TABLE, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

async function report(key: string): Promise<{ reason: string; missing: string[] }> {
  const res = await env.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse((await res.Body?.transformToString()) ?? '') as {
    reason: string;
    missing: string[];
  };
}

const GOOD = streamsCsv([
  { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
  { user_id: 2, track_id: 't2', listen_time: '2024-06-25 11:00:00' },
]);

describe('runKpis quarantine', () => {
  for (const threads of [0, 2]) {
    it(`moves empty, BOM-only, whitespace-only and header-only-without-columns files to rejected/ with a report, and the run is ok (threads ${threads})`, async () => {
      const table = `${TABLE}-q${threads}`;
      await env.put('songs/songs.csv', songsCsv());
      await env.put('streams/good.csv', GOOD);
      await env.put('streams/empty.csv', '');
      await env.put('streams/bom.csv', '\uFEFF');
      await env.put('streams/blank.csv', '  \n\n \r\n');
      await env.put('streams/header-only.csv', 'user_id,when\n');
      const errors: unknown[] = [];
      const summary = await runKpis({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: BUCKET,
        tableName: table,
        threads,
        onError: (error) => {
          errors.push(error);
        },
      });
      assert.equal(summary.ok, true);
      assert.deepEqual(summary.objects, {
        processed: 1,
        skipped: 0,
        rejected: 4,
        failed: 0,
        claimed: 0,
        archived: 1,
      });
      assert.deepEqual(errors, [], 'a quarantined object is not an error to alert as a failure');
      assert.deepEqual(
        summary.outcomes
          .filter((o) => o.status === 'rejected')
          .map((o) => o.key)
          .sort(),
        ['streams/blank.csv', 'streams/bom.csv', 'streams/empty.csv', 'streams/header-only.csv'],
      );
      assert.deepEqual(await env.keys('streams/'), ['streams/']);
      assert.deepEqual(await env.keys('rejected/'), [
        'rejected/blank.csv',
        'rejected/blank.csv.report.json',
        'rejected/bom.csv',
        'rejected/bom.csv.report.json',
        'rejected/empty.csv',
        'rejected/empty.csv.report.json',
        'rejected/header-only.csv',
        'rejected/header-only.csv.report.json',
      ]);
      const empty = await report('rejected/empty.csv.report.json');
      assert.match(empty.reason, /empty \(0 bytes\)/);
      assert.deepEqual(empty.missing, ['user_id', 'track_id', 'listen_time']);
      assert.deepEqual((await report('rejected/header-only.csv.report.json')).missing, [
        'track_id',
        'listen_time',
      ]);
      assert.deepEqual(await env.tableItems(table), expected([GOOD]));

      // The next run finds nothing left to fail on.
      const again = await runKpis({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: BUCKET,
        tableName: table,
        threads,
      });
      assert.equal(again.ok, true);
      assert.equal(again.outcomes.length, 0);
      for (const k of await env.keys('')) {
        if (!k.startsWith('songs/')) {
          await env.s3.send(
            new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
              Bucket: BUCKET,
              Key: k,
            }),
          );
        }
      }
    });
  }
});
