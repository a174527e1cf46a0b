import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { checkObjectKey, listObjects, readObject, unsafeKeyStandIn } from '../src/index.js';
import { type RejectObjectOptions, rejectObject } from '../src/reject-object.js';
import { collect, put, s3Fixture } from './helpers/s3.js';

const bucket = 'reject-bucket';
const { client } = await s3Fixture(bucket);

/** Puts `body` at `key` and rejects that object (its ETag as checked) with `options`. */
async function putAndReject(
  key: string,
  body: string,
  options: Omit<RejectObjectOptions, 'client' | 'bucket' | 'key' | 'etag'>,
) {
  const etag = await put(client, bucket, key, body);
  return { etag, result: await rejectObject({ client, bucket, key, etag, ...options }) };
}

/** The object at `key` as text. */
const text = async (key: string) => (await collect(readObject({ client, bucket, key }))).toString();

/** The keys under `prefix`, folder markers included. */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of listObjects({ client, bucket, prefix, suffixes: [] })) keys.push(o.key);
  return keys;
}

describe('rejectObject', () => {
  it('moves the file under rejected/ with a JSON report beside it', async () => {
    const key = 'streams/bad header+1.csv';
    const { etag, result } = await putAndReject(key, 'user_id,when\n1,2\n', {
      missing: ['track_id', 'listen_time'],
      reason: 'MISSING_COLUMNS',
      now: () => new Date('2024-06-25T10:00:00Z'),
    });
    assert.equal(result.status, 'moved');
    assert.equal(result.rejectedKey, 'rejected/streams/bad header+1.csv');
    assert.equal(result.reportKey, 'rejected/streams/bad header+1.csv.report.json');
    assert.equal(await text(result.rejectedKey), 'user_id,when\n1,2\n');
    assert.deepEqual(JSON.parse(await text(result.reportKey)), {
      bucket,
      sourceKey: key,
      rejectedKey: 'rejected/streams/bad header+1.csv',
      etag,
      reason: 'MISSING_COLUMNS',
      missing: ['track_id', 'listen_time'],
      rejectedAt: '2024-06-25T10:00:00.000Z',
    });
    assert.deepEqual(await keysUnder('streams/bad'), []);
    // the dataset folder marker exists after the move
    assert.equal(await text('streams/'), '');
  });

  it('quarantines an unsafe key under a hashed stand-in, the report naming the original', async () => {
    const key = 'streams/a/../quarantine\u0007.csv';
    const { result } = await putAndReject(key, 'x\n', {
      sourcePrefix: 'streams/',
      missing: [],
      reason: 'UNSAFE_KEY',
    });
    assert.equal(result.rejectedKey, `rejected/${unsafeKeyStandIn(key)}`);
    assert.match(result.rejectedKey, /^rejected\/unsafe-keys\/[0-9a-f]{64}$/);
    assert.equal(result.report.sourceKey, key);
    assert.match(result.report.keyProblem ?? '', /control character U\+0007/);
    assert.equal(await text(result.rejectedKey), 'x\n');
    const all = await keysUnder('');
    assert.ok(!all.includes(key), 'source deleted');
    assert.deepEqual(
      all.filter((k) => checkObjectKey(k) !== undefined && !k.startsWith('streams/a/')),
      [],
    );
    assert.equal(JSON.parse(await text(result.reportKey)).sourceKey, key);
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
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    controller.abort(reason);
    await assert.rejects(
      putAndReject(key, 'user_id\n1\n', {
        missing: ['track_id'],
        reason: 'MISSING_COLUMNS',
        signal: controller.signal,
      }),
      (e: unknown) => e === reason,
    );
    assert.equal(await text(key), 'user_id\n1\n');
    assert.deepEqual(await keysUnder('rejected/streams/aborted'), []);
  });
});
