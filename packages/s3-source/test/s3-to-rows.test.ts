import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { HeaderError, parseFile, type SourceRef } from '@streamkpi/core';

interface Row {
  readonly source: SourceRef;
  readonly line: number;
  readonly fields: Record<string, string | undefined>;
}

import { listObjects, openObject, readObject, rejectObject } from '../src/index.js';
import { cutGets } from '../src/testing.js';
import { collect, csvLines, put, s3ProxyFixture } from './helpers/s3.js';

// Integration of this package with the core parsers: S3 bytes → row batches.
const bucket = 'rows-bucket';
const { client: direct, proxy, viaProxy } = await s3ProxyFixture([bucket]);

async function rowsOf(client: S3Client, key: string): Promise<{ rows: Row[]; resumes: number }> {
  const opened = await openObject({ client, bucket, key, resumeDelayMs: 0 });
  const rows: Row[] = [];
  const signal = new AbortController().signal;
  for await (const batch of parseFile({ source: opened.source, dataset: 'streams' })(opened.body, {
    signal,
  })) {
    for (let r = 0; r < batch.length; r++) {
      const fields: Record<string, string | undefined> = {};
      batch.columns.forEach((name, i) => {
        fields[name] = batch.cells[batch.starts[r]! + i];
      });
      rows.push({ source: batch.source, line: batch.lines[r]!, fields });
    }
  }
  return { rows, resumes: opened.stats.resumes };
}

describe('S3 object → core parser', () => {
  it('parses every row of a gzip CSV exactly once although the body is cut three times', async () => {
    const key = 'streams/2024-06-25.csv.gz';
    const etag = await put(direct, bucket, key, gzipSync(csvLines(30_000)));
    proxy.plan = cutGets(key, 40_000, 3);
    const { rows, resumes } = await rowsOf(viaProxy, key);
    assert.equal(resumes, 3);
    assert.equal(rows.length, 30_000);
    rows.forEach((row, i) => {
      assert.equal(row.line, i + 2);
      assert.equal(row.fields.user_id, String(i + 1));
    });
    assert.deepEqual(rows[0]?.source, {
      id: `s3://${bucket}/${key}#${etag}`,
      bucket,
      key,
      etag,
    });
  });

  it('parses listed NDJSON objects carrying bucket, key and ETag', async () => {
    await put(
      direct,
      bucket,
      'nd/a.ndjson',
      '{"user_id":"1","track_id":"t","listen_time":"2024-06-25 17:43:13"}\n',
    );
    let count = 0;
    for await (const object of listObjects({ client: direct, bucket, prefix: 'nd/' })) {
      const { rows } = await rowsOf(direct, object.key);
      count += rows.length;
      assert.equal(rows[0]?.source.etag, object.etag);
    }
    assert.equal(count, 1);
  });

  it('moves a file whose header lacks required columns to rejected/ with a report', async () => {
    const key = 'streams/no-track.csv';
    const etag = await put(direct, bucket, key, 'user_id,listen_time\n1,2024-06-25 17:43:13\n');
    const failure = await rowsOf(direct, key).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(failure instanceof HeaderError);
    const result = await rejectObject({
      client: direct,
      bucket,
      key,
      etag,
      missing: failure.missing,
      reason: failure.code,
    });
    const report = JSON.parse(
      (await collect(readObject({ client: direct, bucket, key: result.reportKey }))).toString(),
    );
    assert.deepEqual(report.missing, ['track_id']);
    assert.equal(report.reason, 'MISSING_COLUMNS');
    assert.equal(report.etag, etag);
  });
});
