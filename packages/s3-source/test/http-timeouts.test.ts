import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { httpTimeouts } from '../src/index.js';
import { startSilentServer } from './helpers/silent-server.js';

describe('http-timeouts', () => {
  it('an S3 endpoint that accepts the connection and never answers fails the request within the bound', async () => {
    const server = await startSilentServer();
    const requestTimeoutMs = 300;
    const maxAttempts = 2;
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      maxAttempts,
      ...httpTimeouts({ connectionTimeoutMs: 1000, requestTimeoutMs }),
    });
    try {
      await assert.rejects(
        s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'streams/a.csv' })),
        (error: Error & { $metadata?: { attempts?: number } }) => {
          assert.match(`${error.name} ${error.message}`, /timeout|timed out/i);
          // Retried as a transient error: every attempt reached the server.
          assert.equal(error.$metadata?.attempts, maxAttempts);
          return true;
        },
      );
      assert.equal(server.connections(), maxAttempts);
    } finally {
      s3.destroy();
      await server.close();
    }
  });

  it('a body that stops coming mid-way fails its read after requestTimeoutMs without a byte', async () => {
    // Answers the headers and 10 of 100 bytes, then nothing more.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100', etag: '"e"' });
      res.write('x'.repeat(10));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...httpTimeouts({ requestTimeoutMs: 300 }),
    });
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'streams/a.csv' }));
      await assert.rejects(res.Body!.transformToString(), (error: Error) => {
        assert.equal(error.name, 'TimeoutError');
        assert.match(error.message, /300 ms of inactivity/);
        return true;
      });
    } finally {
      s3.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('httpTimeouts refuses a zero timeout before any I/O', () => {
    assert.throws(() => httpTimeouts({ requestTimeoutMs: 0 }), /requestTimeoutMs/);
  });
});
