import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  archiveObject,
  checkObjectKey,
  deadLetterBaseKey,
  S3SourceError,
  s3DeadLetter,
} from '../src/index.js';
import { listKeys } from '../src/testing.js';
import { put, s3Fixture } from './helpers/s3.js';

const bucket = 'unsafe-keys-bucket';
const { client } = await s3Fixture(bucket);

const keys = () => listKeys(client, bucket);

const isUnsafe = (err: unknown) => err instanceof S3SourceError && err.code === 'UNSAFE_KEY';

describe('checkObjectKey', () => {
  it('refuses dot segments and control characters, accepts everything else', () => {
    for (const key of [
      'streams/../state/x.csv',
      '../x.csv',
      'streams/..',
      'streams/./x.csv',
      'streams\\..\\x.csv',
      'streams/a/../../b.csv',
    ]) {
      assert.equal(checkObjectKey(key)?.reason, 'dot_segment', key);
    }
    for (const key of [
      'streams/a\u0000.csv',
      'streams/a\n.csv',
      'streams/\u007f.csv',
      'streams/\u0085.csv',
    ]) {
      assert.equal(checkObjectKey(key)?.reason, 'control_character', JSON.stringify(key));
    }
    for (const key of [
      'streams/a..b.csv',
      'streams/...csv',
      'streams/.hidden.csv',
      'streams/день 1 +x.csv',
      'streams/a b/c.csv',
    ]) {
      assert.equal(checkObjectKey(key), undefined, key);
    }
    assert.match(checkObjectKey('a/../b')?.message ?? '', /'\.\.' path segment/);
    assert.match(checkObjectKey('a\u0007b')?.message ?? '', /U\+0007/);
  });

  it('archiveObject and the dead-letter keys refuse an unsafe key before any request', async () => {
    const key = 'streams/a/../evil.csv';
    await put(client, bucket, key, 'user_id,track_id,listen_time\n');
    const before = await keys();
    await assert.rejects(
      archiveObject({ client, bucket, key, sourcePrefix: 'streams/' }),
      isUnsafe,
    );
    assert.throws(() => deadLetterBaseKey('dead-letter/', { id: key, key }), isUnsafe);
    const sink = s3DeadLetter({ client, bucket });
    await assert.rejects(
      sink.write([
        { source: { id: key, key }, line: 2, raw: {}, reasons: [{ reason: 'x', message: 'x' }] },
      ]),
      isUnsafe,
    );
    assert.deepEqual(await keys(), before);
  });
});
