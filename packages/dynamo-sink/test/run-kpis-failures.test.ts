/**
 * No poison objects, total counting: a file whose bytes can never be read
 * is quarantined even after it rejected rows (and those rows are withdrawn
 * from the dead letter), a transient failure is retried within the run, a
 * lasting one is listed in the summary's failures with its key, step and
 * cause, and dead-letter lines always equal the summary's rejected rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGetOf, slowDownGets } from '@streamkpi/s3-source/testing';
import { ObjectFailedError, runKpis } from '../src/index.js';
import {
  BUCKET,
  expected,
  listKeys,
  put,
  songsCsv,
  streamsCsv,
  TABLE,
  tableItems,
  useProxiedEmulators,
} from './helpers/e2e.js';
import { deadLetterRows, getText } from './helpers/exactly-once.js';

const GOOD = streamsCsv([
  { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
  { user_id: 'x', track_id: 't2', listen_time: '2024-06-25 11:00:00' },
  { user_id: 2, track_id: 't2', listen_time: '2024-06-26 11:00:00' },
]);

/** A GET of exactly `key` (not a listing). */
const emulators = useProxiedEmulators();

describe('runKpis failures and counting', () => {
  for (const threads of [0, 2]) {
    it(`quarantines files that break after rejecting rows and withdraws their dead letters (threads ${threads})`, async () => {
      const prefix = `broken${threads}/`;
      await put(emulators.env.s3, `${prefix}songs/songs.csv`, songsCsv());
      await put(emulators.env.s3, `${prefix}streams/good.csv`, GOOD);
      // 12,000 rejected rows (a full dead-letter part is uploaded) and then a line over maxRowBytes.
      const badRows = 'x,t1,2024-06-25 10:00:00\n'.repeat(12_000);
      await put(
        emulators.env.s3,
        `${prefix}streams/long.csv`,
        `user_id,track_id,listen_time\n${badRows}1,t1,${'9'.repeat(5 * 1024 * 1024)}\n`,
      );
      // The structure breaks after element 2 (element 1 was rejected).
      await put(
        emulators.env.s3,
        `${prefix}streams/broken.json`,
        '[{"user_id":"x","track_id":"t1","listen_time":"2024-06-25 10:00:00"},{"user_id":1,"track_id":"t1","listen_time":"2024-06-25 10:00:00"} {"user_id":2}]',
      );
      const summary = await runKpis({
        s3: emulators.env.s3,
        dynamo: emulators.env.dynamo,
        bucket: BUCKET,
        prefix,
        tableName: `${TABLE}-broken${threads}`,
        threads,
      });
      assert.deepEqual(
        summary.failures.map((f) => String(f.error)),
        [],
      );
      assert.equal(summary.ok, true);
      assert.deepEqual(
        summary.outcomes.map((o) => [o.key, o.status, (o.error as { code?: string })?.code]).sort(),
        [
          [`${prefix}streams/broken.json`, 'rejected', 'JSON_MALFORMED'],
          [`${prefix}streams/good.csv`, 'processed', undefined],
          [`${prefix}streams/long.csv`, 'rejected', 'LINE_TOO_LONG'],
        ],
      );
      assert.deepEqual(await listKeys(emulators.env.s3, BUCKET, `${prefix}rejected/`), [
        `${prefix}rejected/broken.json`,
        `${prefix}rejected/broken.json.report.json`,
        `${prefix}rejected/long.csv`,
        `${prefix}rejected/long.csv.report.json`,
      ]);
      const report = JSON.parse(
        await getText(emulators.env.s3, BUCKET, `${prefix}rejected/broken.json.report.json`),
      ) as { reason: string };
      assert.match(report.reason, /malformed JSON in array element 2/);
      // Only the committed file's rows count, and only its rows are dead-lettered.
      const s = summary.streams;
      assert.deepEqual([s.rowsRead, s.rowsAggregated, s.rowsRejected], [3, 2, 1]);
      assert.deepEqual(await deadLetterRows(emulators.env.s3, BUCKET, prefix), [
        `${prefix}streams/good.csv#3`,
      ]);
    });
  }

  it('retries an object that fails transiently within the run, then commits it', async () => {
    const prefix = 'flaky/';
    const key = `${prefix}streams/good.csv`;
    await put(emulators.env.s3, `${prefix}songs/songs.csv`, songsCsv());
    await put(emulators.env.s3, key, GOOD);
    emulators.proxy.requests.length = 0;
    // The S3 client's own three attempts all fail once.
    emulators.proxy.plan = slowDownGets(key, 3);
    const tableName = `${TABLE}-flaky`;
    const errors: unknown[] = [];
    const summary = await runKpis({
      s3: emulators.viaProxy,
      dynamo: emulators.env.dynamo,
      bucket: BUCKET,
      prefix,
      tableName,
      threads: 0,
      retryDelayMs: 10,
      onError: (error) => {
        errors.push(error);
      },
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.deepEqual(
      summary.outcomes.map((o) => [o.key, o.status, o.archived]),
      [[key, 'processed', true]],
    );
    assert.deepEqual(errors, []);
    const gets = emulators.proxy.requests.filter((r) => isGetOf(r, key));
    assert.equal(gets.length, 4);
    assert.deepEqual(await tableItems(emulators.env.dynamo, tableName), expected([GOOD]));
  });

  it('lists a lasting transient failure with its key, step and cause; its rows count nowhere', async () => {
    const prefix = 'down/';
    const key = `${prefix}streams/down.csv`;
    await put(emulators.env.s3, `${prefix}songs/songs.csv`, songsCsv());
    await put(emulators.env.s3, `${prefix}streams/good.csv`, GOOD);
    await put(emulators.env.s3, key, GOOD);
    emulators.proxy.plan = slowDownGets(key);
    const reported: [unknown, string | undefined][] = [];
    const summary = await runKpis({
      s3: emulators.viaProxy,
      dynamo: emulators.env.dynamo,
      bucket: BUCKET,
      prefix,
      tableName: `${TABLE}-down`,
      threads: 0,
      objectAttempts: 2,
      retryDelayMs: 10,
      onError: (error, context) => {
        reported.push([error, context.key]);
      },
    });
    emulators.proxy.plan = () => undefined;
    assert.equal(summary.ok, false);
    assert.equal(summary.failures.length, 1);
    const [failure] = summary.failures;
    assert.deepEqual(
      [failure?.kind, failure?.key, failure?.step, failure?.transient],
      ['object', key, 'capture', true],
    );
    assert.ok(failure?.error instanceof ObjectFailedError);
    assert.match(String(failure?.error), /down\/streams\/down\.csv: capture failed: .*SlowDown/);
    assert.deepEqual(
      reported.map(([e, k]) => [e === failure?.error, k]),
      [[true, key]],
    );
    const s = summary.streams;
    assert.deepEqual([s.rowsRead, s.rowsAggregated, s.rowsRejected], [3, 2, 1]);
    assert.deepEqual(await deadLetterRows(emulators.env.s3, BUCKET, prefix), [
      `${prefix}streams/good.csv#3`,
    ]);
  });
});
