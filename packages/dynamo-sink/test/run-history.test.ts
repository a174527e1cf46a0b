import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import {
  failedRunRecordOf,
  listRunRecords,
  ObjectFailedError,
  RUN_RECORD_MAX_KEYS,
  type RunRecord,
  runRecordKey,
  runRecordOf,
  writeRunRecord,
} from '../src/index.js';
import { BUCKET, songsCsv, streamsCsv, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

function record(runId: string, startedAt: string, ok = true): RunRecord {
  const failed = failedRunRecordOf(new Error('x'), {
    command: 'run',
    runId,
    startedAt: new Date(startedAt),
    finishedAt: new Date(Date.parse(startedAt) + 1000),
  });
  return { ...failed, ok };
}

describe('run history', () => {
  it('keys sort newest first and stay readable', () => {
    const a = runRecordKey('state/runs/', { startedAt: '2026-12-01T21:30:00.123Z', runId: 'a' });
    const b = runRecordKey('state/runs/', { startedAt: '2026-12-01T21:30:01.000Z', runId: 'b' });
    assert.match(a, /^state\/runs\/\d{13}-20261201T213000Z-a\.json$/);
    assert.ok(b < a, 'the later run sorts first');
    assert.throws(() => runRecordKey('r/', { startedAt: 'yesterday', runId: 'c' }), /not a time/);
  });

  it('writes records under the state prefix and lists the newest N, newest first', async () => {
    const times = ['2026-12-01T10:00:00Z', '2026-12-01T12:00:00Z', '2026-12-01T11:00:00Z'];
    for (const [i, t] of times.entries()) {
      await writeRunRecord(record(`r${i}`, t, i !== 1), {
        s3: env.s3,
        bucket: BUCKET,
        prefix: 'h/',
      });
    }
    assert.equal((await env.keys('h/state/runs/')).length, 3);
    const two = await listRunRecords({ s3: env.s3, bucket: BUCKET, prefix: 'h/', limit: 2 });
    assert.deepEqual(
      two.map((r) => [r.runId, r.ok]),
      [
        ['r1', false],
        ['r2', true],
      ],
    );
    assert.deepEqual(await listRunRecords({ s3: env.s3, bucket: BUCKET, prefix: 'other/' }), []);
  });

  it('rejects bad options before any I/O', async () => {
    await assert.rejects(
      listRunRecords({ s3: env.s3, bucket: BUCKET, limit: 0 }),
      (e) => e instanceof OptionsError && /limit/.test(e.message),
    );
    await assert.rejects(
      writeRunRecord(record('x', '2026-01-01T00:00:00Z'), {
        s3: env.s3,
        bucket: BUCKET,
        prefix: 'nofolder',
      }),
      (e) => e instanceof OptionsError && /prefix/.test(e.message),
    );
  });

  it('builds a record of a runKpis pass: objects by outcome, rows, dates, failures by step', async () => {
    await env.put('songs/songs.csv', songsCsv());
    await env.put(
      'streams/a.csv',
      streamsCsv([
        { user_id: 1, track_id: 't1', listen_time: '2024-06-25 10:00:00' },
        { user_id: 'x', track_id: 't1', listen_time: '2024-06-25 10:00:00' },
      ]),
    );
    await env.put('streams/empty.csv', '');
    await env.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'streams/broken.csv.gz',
        Body: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]),
      }),
    );
    const startedAt = new Date();
    const summary = await env.run({ threads: 0 });
    const r = runRecordOf(summary, {
      command: 'run',
      runId: 'run-1',
      startedAt,
      referenceMs: 12.4,
    });
    assert.equal(r.format, 1);
    assert.equal(r.runId, 'run-1');
    // A broken gzip can never be read: quarantined with the empty file, not failed.
    assert.equal(r.ok, true);
    assert.deepEqual(r.objects.committed, { count: 1, keys: ['streams/a.csv'] });
    assert.deepEqual(r.objects.quarantined, {
      count: 2,
      keys: ['streams/broken.csv.gz', 'streams/empty.csv'],
    });
    assert.deepEqual(r.objects.failed, { count: 0, keys: [] });
    assert.equal(r.objects.archived, 1);
    assert.deepEqual(r.rows, {
      read: 2,
      aggregated: 1,
      rejected: 1,
      rejectedByReason: { invalid_user_id: 1 },
    });
    assert.deepEqual(r.dates, [{ date: '2024-06-25', version: 1 }]);
    assert.equal(r.itemsWritten, 2);
    assert.equal(r.durations.referenceMs, 12);
    assert.deepEqual(r.failures, []);
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const failed = runRecordOf(
      {
        ...summary,
        outcomes: [
          ...summary.outcomes,
          {
            key: 'streams/cut.csv',
            etag: 'e',
            status: 'failed',
            dates: [],
            archived: false,
            error: new ObjectFailedError(BUCKET, 'streams/cut.csv', 'capture', cause),
          },
        ],
      },
      { command: 'run', startedAt },
    );
    assert.deepEqual(failed.objects.failed, { count: 1, keys: ['streams/cut.csv'] });
    assert.deepEqual(
      failed.failures.map((f) => [f.step, f.key, f.code]),
      [['process', 'streams/cut.csv', 'ECONNRESET']],
    );
    assert.match(
      failed.failures[0]?.message ?? '',
      /streams\/cut\.csv: capture failed: .*socket hang up/,
    );
    assert.ok(Date.parse(r.finishedAt) >= Date.parse(r.startedAt));
    const dated = runRecordOf(summary, {
      command: 'watch',
      startedAt,
      dateFailures: [
        { date: '2024-06-26', error: Object.assign(new Error('boom'), { code: 'EBOOM' }) },
      ],
    });
    assert.deepEqual(dated.failures.at(-1), {
      step: 'commit',
      date: '2024-06-26',
      code: 'EBOOM',
      message: 'boom',
    });
    assert.match(dated.runId, /^[0-9a-f-]{36}$/);
  });

  it('lists at most RUN_RECORD_MAX_KEYS keys per outcome and counts them all', () => {
    const keys = Array.from({ length: RUN_RECORD_MAX_KEYS + 5 }, (_, i) => `streams/${i}.csv`);
    const summary = {
      outcomes: keys.map((key) => ({
        key,
        etag: 'e',
        status: 'processed',
        dates: [],
        archived: true,
      })),
      objects: {
        processed: keys.length,
        skipped: 0,
        rejected: 0,
        failed: 0,
        archived: keys.length,
      },
      streams: { rowsRead: 0, rowsAggregated: 0, rowsRejected: 0, rejectedByReason: {} },
      dates: [],
      itemsWritten: 0,
      itemsStale: 0,
      durationMs: 5,
      ok: true,
    } as unknown as Parameters<typeof runRecordOf>[0];
    const r = runRecordOf(summary, { command: 'run', startedAt: new Date() });
    assert.equal(r.objects.committed.count, RUN_RECORD_MAX_KEYS + 5);
    assert.equal(r.objects.committed.keys.length, RUN_RECORD_MAX_KEYS);
    assert.equal(r.ok, true);
  });
});
