/**
 * Bounded waits inside a run: an S3 endpoint that accepts a stream object's
 * GET and never answers it, mid-run (other objects are served). With request
 * timeouts the object fails with a RequestTimeoutError naming the request
 * (after exactly `maxAttempts` tries) and the run goes on, on a pool thread
 * too (its client gets the injected client's timeouts); without them, on a
 * pool thread the task deadline fails it; without either, the watchdog fails the run
 * with RUN_STALLED naming the object, the pool task and the open request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { PipelineError } from '@streamkpi/core';
import { httpTimeouts } from '@streamkpi/s3-source';
import { ObjectFailedError, RequestTimeoutError, RunStalledError, runKpis } from '../src/index.js';
import { expected, startEmulators, tableItems } from './helpers/e2e.js';
import { seedBucket, streamFiles } from './helpers/exactly-once.js';
import { type KillProxy, startKillProxy } from './helpers/kill-proxy.js';

/** Listed first, FAST is read before SLOW (also on one pool thread). */
const [FAST, SLOW] = streamFiles(41, 2, 12, 'stall');
const slowKey = SLOW!.key;

describe('a stream object whose GET is never answered', () => {
  let env: Awaited<ReturnType<typeof startEmulators>>;
  let proxy: KillProxy;
  /**
   * The runs' DynamoDB client: SDK retries on, as a real runner has (a
   * commit that waited out the held GET may find its idle keep-alive socket
   * reset). Only S3's waits are under test.
   */
  let dynamo: ReturnType<Awaited<ReturnType<typeof startEmulators>>['ddb']['client']>;
  let buckets = 0;
  before(async () => {
    env = await startEmulators();
    dynamo = env.ddb.client({ maxAttempts: 3 });
    proxy = await startKillProxy({
      s3Target: env.s3rver.endpoint,
      dynamoTarget: env.ddb.endpoint,
      hold: (r) => r.method === 'GET' && r.url.split('?')[0]!.endsWith(`/${slowKey}`),
    });
  });
  after(async () => {
    dynamo.destroy();
    await proxy.close();
    await env.close();
  });

  /** A fresh bucket with both files, and an S3 client through the proxy. */
  async function setup(extra: S3ClientConfig = {}) {
    const bucket = `stall-${++buckets}`;
    await seedBucket(env.s3, bucket, [SLOW!, FAST!]);
    const s3 = env.s3rver.client({ endpoint: proxy.s3Endpoint, ...extra });
    const heldBefore = proxy.held.length;
    return { bucket, s3, heldSince: () => proxy.held.slice(heldBefore) };
  }

  /**
   * Runs over a fresh bucket; asserts FAST was committed alone and returns
   * SLOW's error (SLOW must have failed).
   */
  async function slowFails(
    extra: S3ClientConfig,
    options: Partial<Parameters<typeof runKpis>[0]>,
  ): Promise<{ error: unknown; bucket: string; held: number }> {
    const { bucket, s3, heldSince } = await setup(extra);
    try {
      const tableName = `kpis-${bucket}`;
      // One attempt per object: the object's retries are tested elsewhere.
      const summary = await runKpis({
        s3,
        dynamo,
        bucket,
        tableName,
        objectAttempts: 1,
        ...options,
      });
      const slow = summary.outcomes.find((x) => x.key === slowKey);
      assert.equal(slow?.status, 'failed');
      const fast = summary.outcomes.find((x) => x.key === FAST!.key);
      assert.equal(fast?.status, 'processed', String((fast?.error as Error | undefined)?.stack));
      // Committed and archived: a failed commit leaves it captured with its error.
      assert.equal(fast.archived, true, String((fast.error as Error | undefined)?.stack));
      assert.deepEqual(await tableItems(env.dynamo, tableName), expected([FAST!.body]));
      // The object's failure names it and the step; its cause is what timed out.
      assert.ok(slow.error instanceof ObjectFailedError, String(slow.error));
      assert.equal(slow.error.key, slowKey);
      return { error: slow.error.cause, bucket, held: heldSince().length };
    } finally {
      s3.destroy();
    }
  }

  it('with httpTimeouts the object fails with a RequestTimeoutError naming GetObject and its key, after maxAttempts tries; the other commits', async () => {
    const { error, bucket, held } = await slowFails(
      { maxAttempts: 2, ...httpTimeouts({ requestTimeoutMs: 300 }) },
      { threads: 0, concurrency: 1, timeoutMs: 120_000 },
    );
    assert.ok(error instanceof RequestTimeoutError, String(error));
    assert.equal(error.code, 'REQUEST_TIMEOUT');
    assert.equal(error.request, `S3 GetObject s3://${bucket}/${slowKey}`);
    assert.equal(held, 2, 'one GET per attempt, each given up');
  });

  for (const threads of [1, 2]) {
    it(`on ${threads} pool thread(s), the thread's client has the injected client's timeouts: REQUEST_TIMEOUT naming GetObject and its key, after maxAttempts tries`, async () => {
      // Long enough for every answered request of a loaded machine, so only the held GET times out.
      const { error, bucket, held } = await slowFails(
        { maxAttempts: 2, ...httpTimeouts({ requestTimeoutMs: 2_000 }) },
        // Deadlines far beyond the request timeout: only the thread's client can end the GET.
        { threads, taskTimeoutMs: 120_000, stallTimeoutMs: 120_000, timeoutMs: 120_000 },
      );
      // Rebuilt on this side of the thread boundary with its code and message.
      assert.equal((error as { code?: unknown }).code, 'REQUEST_TIMEOUT', String(error));
      assert.ok(
        (error as Error).message.startsWith(
          `S3 GetObject s3://${bucket}/${slowKey}: no answer in time (`,
        ),
        String(error),
      );
      assert.equal(held, 2, 'one GET per attempt, each given up');
    });
  }

  it('on a pool thread, the task deadline fails the object with POOL_TASK_TIMEOUT naming it; the other commits', async () => {
    const { error, bucket } = await slowFails({}, { threads: 1, taskTimeoutMs: 2_000 });
    assert.ok(error instanceof PipelineError, String(error));
    assert.equal(error.code, 'POOL_TASK_TIMEOUT');
    assert.match(
      error.message,
      new RegExp(`^s3://${bucket}/${slowKey}#\\S*: pool task not finished`),
    );
  });

  for (const threads of [0, 1]) {
    it(`without request timeouts the watchdog fails the run with RUN_STALLED naming what it waits on (threads: ${threads})`, async () => {
      const { bucket, s3 } = await setup();
      try {
        await assert.rejects(
          runKpis({
            s3,
            dynamo,
            bucket,
            tableName: `kpis-${bucket}`,
            threads,
            stallTimeoutMs: 1_500,
          }),
          (error) => {
            assert.ok(error instanceof RunStalledError, String(error));
            assert.equal(error.code, 'RUN_STALLED');
            const untagged = error.waitingOn.poolTasks.map((t) => t.replace(/#.*/, ''));
            // The other object may be waiting for its date's commit, which
            // waits for the objects read beside it: the stuck one included.
            const otherObjects = error.waitingOn.objects.filter((k) => k !== slowKey);
            assert.ok(error.waitingOn.objects.includes(slowKey), error.message);
            for (const k of otherObjects) assert.equal(k, 'streams/stall0.csv', error.message);
            if (threads === 0) {
              assert.deepEqual(error.waitingOn.requests, [
                `S3 GetObject s3://${bucket}/${slowKey}`,
              ]);
              assert.deepEqual(untagged, []);
            } else {
              // One thread, held by the stuck object: the other object (or its
              // commit's merge) may wait behind it in the pool's queue.
              assert.ok(untagged.includes(`s3://${bucket}/${slowKey}`), error.message);
              const others = untagged.filter((t) => t !== `s3://${bucket}/${slowKey}`);
              for (const t of others) assert.match(t, /^(merge|s3:\/\/.*\/streams\/stall0\.csv)$/);
            }
            assert.match(error.message, /; pool tasks .*; open requests /);
            assert.match(
              error.message,
              new RegExp(`stallTimeoutMs 1500; waiting on objects .*${slowKey}`),
            );
            return true;
          },
        );
      } finally {
        s3.destroy();
      }
    });
  }
});
