import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { httpTimeouts } from '../src/index.js';

test('an S3 endpoint that accepts the connection and never answers fails the request within the bound', async () => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const requestTimeoutMs = 300;
  const maxAttempts = 2;
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
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
    assert.equal(connections, maxAttempts);
  } finally {
    s3.destroy();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('httpTimeouts refuses a zero timeout before any I/O', () => {
  assert.throws(() => httpTimeouts({ requestTimeoutMs: 0 }), /requestTimeoutMs/);
});
