import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { listObjects, readObject, rejectObject } from '../src/index.js';
import { collect, put, s3Fixture } from './helpers/s3.js';

const bucket = 'reject-bucket';
const { client } = await s3Fixture(bucket);

describe('rejectObject', () => {
  it('moves the file under rejected/ with a JSON report beside it', async () => {
    const key = 'streams/bad header+1.csv';
    const etag = await put(client, bucket, key, 'user_id,when\n1,2\n');
    const result = await rejectObject({
      client,
      bucket,
      key,
      etag,
      missing: ['track_id', 'listen_time'],
      reason: 'MISSING_COLUMNS',
      now: () => new Date('2024-06-25T10:00:00Z'),
    });
    assert.equal(result.status, 'moved');
    assert.equal(result.rejectedKey, 'rejected/streams/bad header+1.csv');
    assert.equal(result.reportKey, 'rejected/streams/bad header+1.csv.report.json');
    const moved = await collect(readObject({ client, bucket, key: result.rejectedKey }));
    assert.equal(moved.toString(), 'user_id,when\n1,2\n');
    const report = JSON.parse(
      (await collect(readObject({ client, bucket, key: result.reportKey }))).toString(),
    );
    assert.deepEqual(report, {
      bucket,
      sourceKey: key,
      rejectedKey: 'rejected/streams/bad header+1.csv',
      etag,
      reason: 'MISSING_COLUMNS',
      missing: ['track_id', 'listen_time'],
      rejectedAt: '2024-06-25T10:00:00.000Z',
    });
    const left: string[] = [];
    for await (const o of listObjects({ client, bucket, prefix: 'streams/', suffixes: [] }))
      left.push(o.key);
    assert.deepEqual(left, []);
    // the dataset folder marker exists after the move
    assert.equal((await collect(readObject({ client, bucket, key: 'streams/' }))).length, 0);
  });

  it('drops sourcePrefix from the rejected key and is a no-op the second time', async () => {
    await put(client, bucket, 'in/users/u.csv', 'name\n');
    const options = {
      client,
      bucket,
      key: 'in/users/u.csv',
      sourcePrefix: 'in/',
      missing: ['user_id'],
      reason: 'MISSING_COLUMNS',
    };
    const first = await rejectObject(options);
    assert.equal(first.rejectedKey, 'rejected/users/u.csv');
    const second = await rejectObject(options);
    assert.equal(second.status, 'already-moved');
  });

  it('rejects bad options before any I/O', async () => {
    await assert.rejects(
      rejectObject({ client, bucket, key: 'a.csv', missing: [], reason: '' }),
      OptionsError,
    );
  });

  it('an aborted signal rejects with its reason and leaves the object where it was, nothing under rejected/', async () => {
    const key = 'streams/aborted.csv';
    await put(client, bucket, key, 'user_id\n1\n');
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    controller.abort(reason);
    await assert.rejects(
      rejectObject({
        client,
        bucket,
        key,
        missing: ['track_id'],
        reason: 'MISSING_COLUMNS',
        signal: controller.signal,
      }),
      (e: unknown) => e === reason,
    );
    assert.equal((await collect(readObject({ client, bucket, key }))).toString(), 'user_id\n1\n');
    const rejected: string[] = [];
    for await (const o of listObjects({
      client,
      bucket,
      prefix: 'rejected/streams/aborted',
      suffixes: [],
    }))
      rejected.push(o.key);
    assert.deepEqual(rejected, []);
  });
});
