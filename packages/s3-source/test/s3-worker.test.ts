import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregateStreamFile,
  createAggregatePool,
  HeaderError,
  memoryDeadLetter,
  serializeKpiState,
  songsTableFromRows,
} from '@streamkpi/core';
import { S3_WORKER_FILE, type S3WorkerInput, sourceRefOf } from '../src/index.js';
import { s3ClientConfig } from '../src/testing.js';
import { put, s3Fixture } from './helpers/s3.js';

const BUCKET = 'worker-bucket';
const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't2', track_name: 'Two', duration_ms: 2000, track_genre: 'rock' },
]);
const CSV =
  'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t2,2024-06-25 11:00:00\nx,t2,2024-06-25 11:00:00\n';

const { s3: s3rver, client } = await s3Fixture(BUCKET);
const etag = await put(client, BUCKET, 'streams/a b+c.csv', CSV);
await put(client, BUCKET, 'streams/bad.csv', 'user_id\n1\n');

const input = (key: string, etagOf?: string): S3WorkerInput => {
  const {
    endpoint,
    region,
    forcePathStyle,
    requestChecksumCalculation,
    responseChecksumValidation,
  } = s3ClientConfig(s3rver.endpoint) as S3WorkerInput['client'];
  return {
    bucket: BUCKET,
    key,
    ...(etagOf ? { etag: etagOf } : {}),
    client: {
      ...(endpoint ? { endpoint } : {}),
      ...(region ? { region } : {}),
      ...(forcePathStyle ? { forcePathStyle } : {}),
      ...(requestChecksumCalculation ? { requestChecksumCalculation } : {}),
      ...(responseChecksumValidation ? { responseChecksumValidation } : {}),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
  };
};

describe('s3-worker', () => {
  it('the S3 worker reads an object on the worker thread into the same partial as a direct read', async () => {
    const source = sourceRefOf({ bucket: BUCKET, key: 'streams/a b+c.csv', etag });
    const direct = await aggregateStreamFile([CSV], {
      source,
      songs,
      deadLetter: memoryDeadLetter(),
    });
    const pool = createAggregatePool({ songs, threads: 1, workerFile: S3_WORKER_FILE });
    try {
      const pooled = await pool.aggregate(source, input('streams/a b+c.csv', etag));
      assert.deepEqual(serializeKpiState(pooled.state), serializeKpiState(direct.state));
      assert.deepEqual(pooled.counts, {
        rowsRead: 3,
        rowsAggregated: 2,
        rowsRejected: 1,
        rejectedByReason: { invalid_user_id: 1 },
      });
      assert.equal(pooled.deadLetters.length, 1);
    } finally {
      await pool.close();
    }
  });

  it('the S3 worker reports a changed object and a bad header as errors with their codes', async () => {
    const pool = createAggregatePool({ songs, threads: 1, workerFile: S3_WORKER_FILE });
    try {
      const source = sourceRefOf({ bucket: BUCKET, key: 'streams/a b+c.csv', etag: 'other' });
      await assert.rejects(pool.aggregate(source, input('streams/a b+c.csv', 'other')), {
        code: 'OBJECT_CHANGED',
      });
      const bad = sourceRefOf({ bucket: BUCKET, key: 'streams/bad.csv' });
      await assert.rejects(pool.aggregate(bad, input('streams/bad.csv')), (error) => {
        assert.ok(error instanceof HeaderError);
        assert.deepEqual(error.missing, ['track_id', 'listen_time']);
        return true;
      });
    } finally {
      await pool.close();
    }
  });
});
