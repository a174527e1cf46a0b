/**
 * The kill proxy's serialized S3 mode (one request at a time, as S3 applies
 * each atomically): a client killed while its request waits in the queue
 * must not hold the queue, or every other worker behind it hangs.
 */
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startKillProxy } from './helpers/kill-proxy.js';

describe('kill proxy, serialized S3', () => {
  it('moves on when a client disconnects while its request waits its turn', async () => {
    const upstream = createServer((req, res) => {
      const wait = req.url === '/slow' ? 300 : 0;
      setTimeout(() => res.end('ok'), wait);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const proxy = await startKillProxy({
      s3Target: target,
      dynamoTarget: target,
      serializeS3: true,
    });
    const u = new URL(proxy.s3Endpoint);
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const r = request({ host: u.hostname, port: u.port, path, agent: false }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        });
        r.on('error', reject);
        r.end();
      });
    const slow = get('/slow');
    await new Promise((r) => setTimeout(r, 50));
    const doomed = request({ host: u.hostname, port: u.port, path: '/doomed', agent: false });
    doomed.on('error', () => {});
    doomed.end();
    await new Promise((r) => setTimeout(r, 50));
    doomed.destroy();
    assert.equal(await slow, 'ok');
    const after = await Promise.race([
      get('/after'),
      new Promise((r) => setTimeout(() => r('stuck'), 3000)),
    ]);
    assert.equal(after, 'ok');
    await proxy.close();
    upstream.close();
  });
});
