import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { archiveObject, listObjects, readObject, S3SourceError } from '../src/index.js';
import { createBucket } from '../src/testing.js';
import { collect, put, s3Fixture } from './helpers/s3.js';

const bucket = 'archive-bucket';
const { client } = await s3Fixture(bucket);

async function keys(prefix: string, b = bucket): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listObjects({ client, bucket: b, prefix, suffixes: [] })) out.push(o.key);
  return out.sort();
}

/** Archives `key` of this bucket out of `sourcePrefix` (`streams/` unless told). */
function archive(
  key: string,
  more: Omit<Partial<Parameters<typeof archiveObject>[0]>, 'key'> = {},
) {
  return archiveObject({ client, bucket, key, sourcePrefix: 'streams/', ...more });
}

describe('archiveObject', () => {
  it('copies to archive/ under the same relative key, deletes the source and keeps the folder marker', async () => {
    await put(client, bucket, 'streams/', '');
    const etag = await put(client, bucket, 'streams/2024/06/a.csv', 'a,b\n1,2\n');
    const result = await archive('streams/2024/06/a.csv', { etag });
    assert.equal(result.status, 'moved');
    assert.deepEqual(result.archive, { bucket, key: 'archive/2024/06/a.csv' });
    assert.equal(result.markerCreated, false);
    assert.deepEqual(await keys('streams/'), []);
    assert.equal(
      (await collect(readObject({ client, bucket, key: 'archive/2024/06/a.csv' }))).toString(),
      'a,b\n1,2\n',
    );
    const markers = [];
    for await (const o of listObjects({ client, bucket, prefix: 'streams', suffixes: ['/'] }))
      markers.push(o);
    // folder markers are never listed as data objects…
    assert.equal(markers.length, 0);
    // …but the marker object still exists
    assert.equal((await collect(readObject({ client, bucket, key: 'streams/' }))).length, 0);
  });

  it('is a no-op the second time', async () => {
    const etag = await put(client, bucket, 'streams/twice.csv', 'x\n');
    const options = { client, bucket, key: 'streams/twice.csv', etag, sourcePrefix: 'streams/' };
    assert.equal((await archiveObject(options)).status, 'moved');
    assert.equal((await archiveObject(options)).status, 'already-moved');
    assert.ok((await keys('archive/')).includes('archive/twice.csv'));
  });

  it('recreates the folder marker when archiving emptied the prefix', async () => {
    await put(client, bucket, 'lonely/only.csv', 'x\n');
    const result = await archive('lonely/only.csv', { sourcePrefix: 'lonely/' });
    assert.equal(result.markerCreated, true);
    assert.equal((await collect(readObject({ client, bucket, key: 'lonely/' }))).length, 0);
  });

  it('archives keys with spaces, unicode and + to another bucket and prefix', async () => {
    await createBucket(client, 'archive-target');
    const keysToMove = ['streams/día 1+2 ünï.csv', 'streams/a+b c%20d.csv', 'streams/x?y#z&=.csv'];
    for (const key of keysToMove) await put(client, bucket, key, key);
    for (const key of keysToMove) {
      const r = await archive(key, { archiveBucket: 'archive-target', archivePrefix: 'old/' });
      assert.equal(r.status, 'moved');
      const copy = await collect(
        readObject({ client, bucket: 'archive-target', key: r.archive.key }),
      );
      assert.equal(copy.toString(), key);
    }
    assert.deepEqual(await keys('old/', 'archive-target'), [
      'old/a+b c%20d.csv',
      'old/día 1+2 ünï.csv',
      'old/x?y#z&=.csv',
    ]);
  });

  it('fails with SOURCE_MISSING when neither the source nor the archive copy exists', async () => {
    await assert.rejects(
      archive('streams/ghost.csv'),
      (error: unknown) => error instanceof S3SourceError && error.code === 'SOURCE_MISSING',
    );
  });

  it('archives a re-uploaded object again, replacing the older archive copy', async () => {
    await put(client, bucket, 'streams/again.csv', 'v1\n');
    await archive('streams/again.csv');
    await put(client, bucket, 'streams/again.csv', 'v2 longer\n');
    const r = await archive('streams/again.csv');
    assert.equal(r.status, 'moved');
    const copy = await collect(readObject({ client, bucket, key: 'archive/again.csv' }));
    assert.equal(copy.toString(), 'v2 longer\n');
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'archive/again.csv' }));
  });

  it('stops with the abort reason and leaves the source in place', async () => {
    await put(client, bucket, 'streams/keep.csv', 'k\n');
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await assert.rejects(archive('streams/keep.csv', { signal: controller.signal }), {
      message: 'shutting down',
    });
    assert.ok((await keys('streams/')).includes('streams/keep.csv'));
    assert.ok(!(await keys('archive/')).includes('archive/keep.csv'));
  });

  it('rejects bad options before any I/O', async () => {
    await assert.rejects(archive('k.csv', { sourcePrefix: 'streams' }), OptionsError);
    await assert.rejects(archive('other/k.csv'), /not under prefix/);
  });
});
