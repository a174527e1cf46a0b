import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { listKeys, s3ClientConfig, startS3rver } from '../src/testing.js';
import { put } from './helpers/s3.js';

describe('startS3rver', () => {
  it('serves on 127.0.0.1 with an ephemeral port and the requested buckets', async () => {
    const a = await startS3rver({ buckets: ['bucket-a', 'bucket-b'] });
    const b = await startS3rver();
    try {
      assert.match(a.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(a.port, b.port);
      const out = await a.client().send(new ListBucketsCommand({}));
      assert.deepEqual(out.Buckets?.map((x) => x.Name).sort(), ['bucket-a', 'bucket-b']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('paginates ListObjectsV2 with continuation tokens (s3rver DES tokens patched), and listKeys follows every page', async () => {
    const s3 = await startS3rver({ buckets: ['pages'] });
    try {
      const client = s3.client();
      for (let i = 0; i < 5; i++) await put(client, 'pages', `k${i}`, 'x');
      const first = await client.send(new ListObjectsV2Command({ Bucket: 'pages', MaxKeys: 3 }));
      assert.equal(first.IsTruncated, true);
      const second = await client.send(
        new ListObjectsV2Command({
          Bucket: 'pages',
          MaxKeys: 3,
          ContinuationToken: first.NextContinuationToken,
        }),
      );
      assert.deepEqual(
        second.Contents?.map((c) => c.Key),
        ['k3', 'k4'],
      );
      await put(client, 'pages', 'folder/', '');
      assert.deepEqual(await listKeys(client, 'pages', '', 2), [
        'folder/',
        'k0',
        'k1',
        'k2',
        'k3',
        'k4',
      ]);
      assert.deepEqual(await listKeys(client, 'pages', 'k', 2), ['k0', 'k1', 'k2', 'k3', 'k4']);
    } finally {
      await s3.close();
    }
  });

  it("takes a put into a folder while the folder's last object is deleted", async () => {
    const s3 = await startS3rver({ buckets: ['race'] });
    try {
      const client = s3.client();
      await put(client, 'race', 'f/0.csv', 'zero');
      // Each round deletes the folder's only object while the next one goes in.
      for (let i = 1; i <= 60; i++) {
        await Promise.all([
          client.send(new DeleteObjectCommand({ Bucket: 'race', Key: `f/${i - 1}.csv` })),
          put(client, 'race', `f/${i}.csv`, `object ${i}`),
        ]);
      }
      assert.deepEqual(await listKeys(client, 'race', 'f/'), ['f/60.csv']);
      const last = await client.send(new GetObjectCommand({ Bucket: 'race', Key: 'f/60.csv' }));
      assert.equal(await last.Body?.transformToString(), 'object 60');
      await put(client, 'race', 'g/only.csv', 'x');
      await client.send(new DeleteObjectCommand({ Bucket: 'race', Key: 'g/only.csv' }));
      // An emptied folder lists as nothing, as in S3.
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: 'race', Delimiter: '/' }),
      );
      assert.deepEqual(
        listed.CommonPrefixes?.map((p) => p.Prefix),
        ['f/'],
      );
    } finally {
      await s3.close();
    }
  });

  it('deletes its data directory on close', async () => {
    const s3 = await startS3rver({ buckets: ['gone'] });
    await put(s3.client(), 'gone', 'a.csv', 'x');
    await access(s3.directory);
    await s3.close();
    await assert.rejects(access(s3.directory), { code: 'ENOENT' });
  });

  it('gives emulator client settings', () => {
    assert.deepEqual(s3ClientConfig('http://127.0.0.1:1'), {
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
});
