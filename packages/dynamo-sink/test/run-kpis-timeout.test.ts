import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { httpTimeouts } from '@streamkpi/s3-source';
import { startSilentServer } from '../../s3-source/test/helpers/silent-server.js';
import { RequestTimeoutError, RunTimeoutError, runKpis } from '../src/index.js';
import { BUCKET, TABLE, useEmulators } from './helpers/e2e.js';

const env = useEmulators();

function silentS3(endpoint: string, extra: ConstructorParameters<typeof S3Client>[0] = {}) {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    ...extra,
  });
}

/** Runs against an S3 endpoint that never answers; the run must reject as `check` says. */
async function rejectsAgainstSilentS3(
  s3Options: ConstructorParameters<typeof S3Client>[0],
  run: { tableName: string; timeoutMs: number },
  check: (error: Error) => boolean,
) {
  const server = await startSilentServer();
  const s3 = silentS3(server.endpoint, s3Options);
  try {
    await assert.rejects(
      runKpis({ s3, dynamo: env.dynamo, bucket: BUCKET, threads: 0, ...run }),
      check,
    );
  } finally {
    s3.destroy();
    await server.close();
  }
}

describe('run-kpis-timeout', () => {
  it('a run against an S3 endpoint that never answers fails with RUN_TIMEOUT within its timeoutMs', async () => {
    await rejectsAgainstSilentS3({}, { tableName: `${TABLE}-t1`, timeoutMs: 800 }, (error) => {
      assert.ok(error instanceof RunTimeoutError, String(error));
      assert.equal(error.code, 'RUN_TIMEOUT');
      assert.match(error.message, /timeoutMs 800; waiting on/);
      return true;
    });
  });

  it('with httpTimeouts, a request to an S3 endpoint that never answers fails the run with a RequestTimeoutError naming it', async () => {
    await rejectsAgainstSilentS3(
      { maxAttempts: 1, ...httpTimeouts({ requestTimeoutMs: 300 }) },
      { tableName: `${TABLE}-t2`, timeoutMs: 60_000 },
      (error) => {
        assert.ok(error instanceof RequestTimeoutError, String(error));
        assert.equal(error.code, 'REQUEST_TIMEOUT');
        // The first S3 request of a run lists the songs.
        assert.equal(error.request, `S3 ListObjectsV2 s3://${BUCKET}/songs/`);
        assert.match(error.message, /: no answer in time \(.*300 ms/);
        return true;
      },
    );
  });
});
