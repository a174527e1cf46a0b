import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
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
