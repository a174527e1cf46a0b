import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { OptionsError } from '@streamkpi/core';
import { listObjectPages, listObjects, sourceRefOf } from '../src/index.js';
import {
  type FaultProxy,
  type RunningS3rver,
  startFaultProxy,
  startS3rver,
} from '../src/testing.js';
import { put, putMany } from './helpers/s3.js';

const bucket = 'list-bucket';
let s3: RunningS3rver;
let proxy: FaultProxy;
let client: S3Client;
let viaProxy: S3Client;

before(async () => {
  s3 = await startS3rver({ buckets: [bucket] });
  proxy = await startFaultProxy(s3.endpoint);
  client = s3.client();
  viaProxy = s3.client({ endpoint: proxy.endpoint });
  const many = Array.from(
    { length: 1_050 },
    (_, i) => [`many/f-${String(i).padStart(5, '0')}.csv`, `${i}\n`] as const,
  );
  await putMany(client, bucket, many);
  await putMany(client, bucket, [
    ['mixed/', ''],
    ['mixed/sub/', ''],
    ['mixed/a.csv', 'a'],
    ['mixed/b.CSV.GZ', 'b'],
    ['mixed/c.ndjson', 'c'],
    ['mixed/d.jsonl', 'd'],
    ['mixed/e.json', 'e'],
    ['mixed/f.txt', 'f'],
    ['mixed/g.parquet', 'g'],
    ['mixed/sub/h.ndjson.gz', 'h'],
    ['mixed/empty.csv', ''],
    ['odd/día 1+2 ünï.csv', 'x'],
    ['odd/a+b.csv', 'y'],
  ]);
});
after(async () => {
  await proxy.close();
  await s3.close();
});

describe('listObjects', () => {
  it('lists more than 1,000 objects across ListObjectsV2 pages', async () => {
    const keys: string[] = [];
    for await (const object of listObjects({ client, bucket, prefix: 'many/' }))
      keys.push(object.key);
    assert.equal(keys.length, 1_050);
    assert.equal(new Set(keys).size, 1_050);
    assert.equal(keys[0], 'many/f-00000.csv');
    assert.equal(keys.at(-1), 'many/f-01049.csv');
  });

  it('fetches the next page only when the consumer asks for it', async () => {
    proxy.requests.length = 0;
    const pages = listObjectPages({ client: viaProxy, bucket, prefix: 'many/', pageSize: 100 });
    const first = await pages.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.length, 100);
    assert.equal(proxy.requests.length, 1);
    await pages.next();
    assert.equal(proxy.requests.length, 2);
    await pages.return(undefined);
    let sizes = 0;
    for await (const page of listObjectPages({ client, bucket, prefix: 'many/', pageSize: 100 })) {
      assert.ok(page.length <= 100);
      sizes += page.length;
    }
    assert.equal(sizes, 1_050);
  });

  it('skips folder markers and keys without an accepted suffix, and keeps 0-byte files', async () => {
    const found = [];
    for await (const o of listObjects({ client, bucket, prefix: 'mixed/' })) found.push(o);
    assert.deepEqual(found.map((o) => o.key).sort(), [
      'mixed/a.csv',
      'mixed/b.CSV.GZ',
      'mixed/c.ndjson',
      'mixed/d.jsonl',
      'mixed/e.json',
      'mixed/empty.csv',
      'mixed/sub/h.ndjson.gz',
    ]);
    const empty = found.find((o) => o.key === 'mixed/empty.csv');
    assert.equal(empty?.size, 0);
  });

  it('keeps everything but folder markers with suffixes []', async () => {
    let n = 0;
    for await (const o of listObjects({ client, bucket, prefix: 'mixed/', suffixes: [] })) {
      assert.ok(!o.key.endsWith('/'));
      n += 1;
    }
    assert.equal(n, 9);
  });

  it('returns keys with spaces, unicode and + verbatim, with unquoted ETags', async () => {
    const etag = await put(client, bucket, 'odd/a+b.csv', 'y');
    const found = new Map<string, string>();
    for await (const o of listObjects({ client, bucket, prefix: 'odd/' })) found.set(o.key, o.etag);
    assert.deepEqual([...found.keys()].sort(), ['odd/a+b.csv', 'odd/día 1+2 ünï.csv']);
    assert.equal(found.get('odd/a+b.csv'), etag);
    assert.ok(!etag.includes('"'));
  });

  it('builds a core SourceRef with id s3://bucket/key#etag', () => {
    assert.deepEqual(sourceRefOf({ bucket: 'b1b', key: 'streams/x.csv', etag: 'abc' }), {
      id: 's3://b1b/streams/x.csv#abc',
      bucket: 'b1b',
      key: 'streams/x.csv',
      etag: 'abc',
    });
  });

  it('stops with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await assert.rejects(
      listObjects({ client, bucket, signal: controller.signal }).next(),
      /cancelled/,
    );
  });

  it('rejects bad options before any I/O', async () => {
    await assert.rejects(listObjects({ client, bucket: 'x' }).next(), OptionsError);
    await assert.rejects(listObjects({ client, bucket, pageSize: 5000 }).next(), /pageSize/);
  });
});
