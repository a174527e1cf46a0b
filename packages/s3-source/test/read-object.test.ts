import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { openObject, readObject, readObjectBytes, S3SourceError } from '../src/index.js';
import { cutGets } from '../src/testing.js';
import {
  collect,
  countSequentialLines,
  csvLines,
  generated,
  put,
  s3ProxyFixture,
} from './helpers/s3.js';

const bucket = 'read-bucket';
const { client: direct, proxy, viaProxy } = await s3ProxyFixture([bucket], { maxAttempts: 3 });

describe('openObject / readObject', () => {
  it('reads a small object byte for byte and reports its ETag and length', async () => {
    const etag = await put(direct, bucket, 'streams/small.csv', csvLines(10));
    const opened = await openObject({ client: direct, bucket, key: 'streams/small.csv' });
    assert.equal(opened.etag, etag);
    assert.equal(opened.contentLength, Buffer.byteLength(csvLines(10)));
    assert.equal(opened.source.id, `s3://${bucket}/streams/small.csv#${etag}`);
    assert.equal((await collect(opened.body)).toString(), csvLines(10));
  });

  it('reads a 0-byte object as an empty stream', async () => {
    await put(direct, bucket, 'streams/empty.csv', '');
    const bytes = await collect(readObject({ client: direct, bucket, key: 'streams/empty.csv' }));
    assert.equal(bytes.length, 0);
  });

  it('passes gzip bytes through unchanged', async () => {
    const gz = gzipSync(csvLines(500));
    await put(direct, bucket, 'streams/data.csv.gz', gz);
    const bytes = await collect(readObject({ client: direct, bucket, key: 'streams/data.csv.gz' }));
    assert.deepEqual(bytes, gz);
    assert.equal(gunzipSync(bytes).toString(), csvLines(500));
  });

  it('reads keys with spaces, unicode and +', async () => {
    const key = 'streams/día 1+2 ünï.csv';
    await put(direct, bucket, key, 'a\n');
    assert.equal((await collect(readObject({ client: direct, bucket, key }))).toString(), 'a\n');
  });

  it('resumes a body cut mid-stream with a ranged GET and delivers every line exactly once', async () => {
    const key = 'streams/cut.csv';
    await put(direct, bucket, key, csvLines(20_000, 20));
    proxy.requests.length = 0;
    proxy.plan = cutGets(key, 100_003, 3);
    const opened = await openObject({ client: viaProxy, bucket, key, resumeDelayMs: 0 });
    assert.equal(await countSequentialLines(opened.body), 20_000);
    assert.equal(opened.stats.resumes, 3);
    assert.equal(opened.stats.bytes, opened.contentLength);
    const ranges = proxy.requests.filter((r) => r.method === 'GET').map((r) => r.range);
    assert.deepEqual(ranges, [undefined, 'bytes=100003-', 'bytes=200006-', 'bytes=300009-']);
    for (const r of proxy.requests.slice(1)) assert.equal(r.ifMatch, `"${opened.etag}"`);
  });

  it('readObjectBytes: the whole body across a cut, pinned to the ETag; undefined for a missing key', async () => {
    const key = 'state/objects/cut.json';
    const body = JSON.stringify({ dates: Array.from({ length: 500 }, (_, i) => `d${i}`) });
    const etag = await put(direct, bucket, key, body);
    proxy.requests.length = 0;
    proxy.plan = cutGets(key, 1_000, 1);
    const bytes = await readObjectBytes({ client: viaProxy, bucket, key, resumeDelayMs: 0 });
    assert.equal(Buffer.from(bytes ?? []).toString(), body);
    const gets = proxy.requests.filter((r) => r.method === 'GET');
    assert.deepEqual(
      gets.map((r) => [r.range, r.ifMatch]),
      [
        [undefined, undefined],
        ['bytes=1000-', `"${etag}"`],
      ],
    );
    assert.equal(
      await readObjectBytes({ client: direct, bucket, key: 'state/none.json' }),
      undefined,
    );
  });

  it('survives a 500 on the ranged GET through the SDK retry strategy', async () => {
    const key = 'streams/cut-500.csv';
    await put(direct, bucket, key, csvLines(5_000));
    const cut = cutGets(key, 50_000, 1);
    let failed = false;
    proxy.plan = (req) => {
      if (req.range !== undefined && !failed) {
        failed = true;
        return { status: 500, code: 'InternalError' };
      }
      return cut(req);
    };
    const opened = await openObject({ client: viaProxy, bucket, key, resumeDelayMs: 0 });
    assert.equal(await countSequentialLines(opened.body), 5_000);
    assert.equal(failed, true);
    assert.equal(opened.stats.resumes, 1);
  });

  it('fails with OBJECT_CHANGED when the object is replaced during a resume', async () => {
    const key = 'streams/replaced.csv';
    await put(direct, bucket, key, csvLines(5_000));
    const cut = cutGets(key, 10_000, 1);
    proxy.plan = async (req) => {
      if (req.range !== undefined) {
        await put(direct, bucket, key, csvLines(6_000));
        return undefined;
      }
      return cut(req);
    };
    const opened = await openObject({ client: viaProxy, bucket, key, resumeDelayMs: 0 });
    await assert.rejects(collect(opened.body), (error: unknown) => {
      assert.ok(error instanceof S3SourceError);
      assert.equal(error.code, 'OBJECT_CHANGED');
      assert.equal(error.key, key);
      return true;
    });
    assert.equal(opened.stats.bytes, 10_000);
  });

  it('fails with RESUME_EXHAUSTED naming the object when every attempt is cut', async () => {
    const key = 'streams/hopeless.csv';
    await put(direct, bucket, key, csvLines(5_000));
    proxy.plan = cutGets(key, 1_000, 100);
    const opened = await openObject({
      client: viaProxy,
      bucket,
      key,
      maxResumes: 2,
      resumeDelayMs: 0,
    });
    await assert.rejects(collect(opened.body), (error: unknown) => {
      assert.ok(error instanceof S3SourceError);
      assert.equal(error.code, 'RESUME_EXHAUSTED');
      assert.match(error.message, /s3:\/\/read-bucket\/streams\/hopeless\.csv/);
      assert.ok(error.cause !== undefined);
      return true;
    });
    assert.equal(opened.stats.resumes, 2);
    assert.equal(opened.stats.bytes, 3_000);
  });

  it('fails with OBJECT_CHANGED when the expected ETag does not match', async () => {
    await put(direct, bucket, 'streams/etag.csv', 'x\n');
    await assert.rejects(
      openObject({ client: direct, bucket, key: 'streams/etag.csv', etag: '"0123"' }),
      (error: unknown) => error instanceof S3SourceError && error.code === 'OBJECT_CHANGED',
    );
  });

  it('fails with SOURCE_MISSING for a missing key', async () => {
    await assert.rejects(
      collect(readObject({ client: direct, bucket, key: 'streams/nope.csv' })),
      (error: unknown) => error instanceof S3SourceError && error.code === 'SOURCE_MISSING',
    );
  });

  it('stops with the abort reason when the signal aborts mid-read', async () => {
    const key = 'streams/abort.csv';
    await put(direct, bucket, key, csvLines(50_000));
    const controller = new AbortController();
    const body = readObject({ client: direct, bucket, key, signal: controller.signal });
    let chunks = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of body) {
          chunks += 1;
          controller.abort(new Error('stop now'));
        }
      })(),
      /stop now|aborted/,
    );
    assert.equal(chunks, 1);
  });

  it('rejects bad options before any I/O', () => {
    assert.throws(
      () => readObject({ client: direct, bucket, key: '', maxResumes: -1 }),
      OptionsError,
    );
    assert.throws(
      () => readObject({ client: {} as S3Client, bucket, key: 'k' }),
      /Expected `client` to be an S3Client/,
    );
  });

  it('round-trips a streamed upload byte for byte and reads 200 MB with bounded memory', async () => {
    const size = 200 * 1024 * 1024;
    const key = 'streams/big.bin';
    const source = generated(size);
    await direct.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: source.stream, ContentLength: size }),
    );
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of readObject({ client: direct, bucket, key })) {
      hash.update(chunk);
      bytes += chunk.length;
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    assert.equal(bytes, size);
    assert.equal(hash.digest('hex'), source.sha256());
    const growthMb = (peak - baseline) / 1024 / 1024;
    assert.ok(growthMb < 64, `RSS grew by ${growthMb.toFixed(1)} MB while reading 200 MB`);
  });
});
