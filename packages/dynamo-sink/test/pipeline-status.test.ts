import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import {
  ensureKpiTable,
  readPipelineStatus,
  runKpis,
  runRecordOf,
  writeRunRecord,
} from '../src/index.js';
import { BUCKET, songsCsv, streamsCsv, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

const day = (date: string, users: number[]) =>
  streamsCsv(users.map((u) => ({ user_id: u, track_id: 't1', listen_time: `${date} 10:00:00` })));

describe('readPipelineStatus', () => {
  it('reports pending objects, committed dates with version and time, quarantined files, dead letters and the last runs', async () => {
    const prefix = 'p/';
    const tableName = 'status-kpis';
    await env.put(`${prefix}songs/songs.csv`, songsCsv());
    await env.put(`${prefix}streams/a.csv`, day('2024-06-25', [1, 2]));
    await env.put(`${prefix}streams/b.csv`, `${day('2024-06-25', [3])}x,t1,2024-06-25 10:00:00\n`);
    await env.put(`${prefix}streams/c.csv`, day('2024-06-26', [1]));
    await env.put(`${prefix}streams/empty.csv`, '');
    const startedAt = new Date();
    const summary = await runKpis({
      s3: env.s3,
      dynamo: env.dynamo,
      bucket: BUCKET,
      prefix,
      tableName,
      threads: 0,
    });
    await writeRunRecord(runRecordOf(summary, { command: 'run', runId: 'first', startedAt }), {
      s3: env.s3,
      bucket: BUCKET,
      prefix,
    });
    await env.put(`${prefix}streams/late.csv`, day('2024-06-27', [9]));

    const status = await readPipelineStatus({
      s3: env.s3,
      dynamo: env.dynamo,
      bucket: BUCKET,
      prefix,
      tableName,
    });
    assert.equal(status.tableName, tableName);
    assert.equal(status.pending.count, 1);
    assert.equal(status.pending.objects[0]?.key, `${prefix}streams/late.csv`);
    assert.ok((status.pending.objects[0]?.size ?? 0) > 0);
    assert.equal(status.pending.bytes, status.pending.objects[0]?.size);
    assert.deepEqual(
      status.dates.map((d) => [d.date, d.version, d.items]),
      [
        ['2024-06-25', 2, 2],
        ['2024-06-26', 1, 2],
      ],
    );
    for (const d of status.dates) {
      assert.ok(Date.parse(d.lastCommitAt ?? '') >= startedAt.getTime() - 1000, d.date);
    }
    assert.equal(status.quarantined.count, 1);
    assert.equal(status.quarantined.files[0]?.key, `${prefix}rejected/empty.csv`);
    assert.equal(status.quarantined.files[0]?.sourceKey, `${prefix}streams/empty.csv`);
    assert.match(status.quarantined.files[0]?.reason ?? '', /empty/);
    assert.deepEqual(status.deadLetter, { objects: 1, bytes: status.deadLetter.bytes, sources: 1 });
    assert.ok(status.deadLetter.bytes > 0);
    assert.deepEqual(
      status.runs.map((r) => [
        r.runId,
        r.ok,
        r.objects.committed.count,
        r.objects.quarantined.count,
      ]),
      [['first', true, 3, 1]],
    );
  });

  it('limits the listed names but keeps the counts, and returns N runs', async () => {
    const prefix = 'q/';
    await ensureKpiTable({ client: env.dynamo, tableName: 'status-empty' });
    for (let i = 0; i < 5; i++)
      await env.put(`${prefix}streams/${i}.csv`, day('2024-01-01', [i + 1]));
    for (let i = 0; i < 3; i++) {
      const startedAt = new Date(Date.UTC(2026, 0, 1, i));
      await writeRunRecord(
        {
          format: 1,
          runId: `r${i}`,
          command: 'watch',
          startedAt: startedAt.toISOString(),
          finishedAt: startedAt.toISOString(),
          ok: true,
          objects: {
            committed: { count: 0, keys: [] },
            skipped: { count: 0, keys: [] },
            quarantined: { count: 0, keys: [] },
            failed: { count: 0, keys: [] },
            archived: 0,
          },
          rows: { read: 0, aggregated: 0, rejected: 0, rejectedByReason: {} },
          dates: [],
          itemsWritten: 0,
          itemsStale: 0,
          durations: { totalMs: 0 },
          failures: [],
        },
        { s3: env.s3, bucket: BUCKET, prefix },
      );
    }
    const status = await readPipelineStatus({
      s3: env.s3,
      dynamo: env.dynamo,
      bucket: BUCKET,
      prefix,
      tableName: 'status-empty',
      runs: 2,
      listLimit: 2,
    });
    assert.equal(status.pending.count, 5);
    assert.equal(status.pending.objects.length, 2);
    assert.deepEqual(status.dates, []);
    assert.deepEqual(status.quarantined, { count: 0, files: [] });
    assert.deepEqual(status.deadLetter, { objects: 0, bytes: 0, sources: 0 });
    assert.deepEqual(
      status.runs.map((r) => r.runId),
      ['r2', 'r1'],
    );
  });

  it('names the bad option before any I/O and passes a missing table through', async () => {
    await assert.rejects(
      readPipelineStatus({ s3: env.s3, dynamo: env.dynamo, bucket: BUCKET, tableName: 't1' }),
      (e) => e instanceof OptionsError && /tableName/.test(e.message),
    );
    await assert.rejects(
      readPipelineStatus({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: BUCKET,
        tableName: 'no-such-table',
      }),
      (e) => (e as Error).name === 'ResourceNotFoundException',
    );
  });
});
