import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { archiveObject, type S3ObjectInfo, watchPrefix } from '../src/index.js';
import { put, s3Fixture } from './helpers/s3.js';

const bucket = 'watch-bucket';
const { client } = await s3Fixture(bucket);

/** `watchPrefix` on this bucket. */
const watch = (options: Omit<Parameters<typeof watchPrefix>[0], 'client' | 'bucket'>) =>
  watchPrefix({ client, bucket, ...options });

describe('watchPrefix', () => {
  it('handles each new object once, picks up objects added while it runs, and stops on abort', async () => {
    await put(client, bucket, 'streams/', '');
    await put(client, bucket, 'streams/1.csv', 'a');
    await put(client, bucket, 'streams/2.csv', 'b');
    const controller = new AbortController();
    const handled: string[] = [];
    const summary = await watch({
      prefix: 'streams/',
      intervalMs: 5,
      signal: controller.signal,
      handler: async (object: S3ObjectInfo) => {
        handled.push(`${object.key}#${object.etag}`);
        if (handled.length === 2) await put(client, bucket, 'streams/3.csv', 'c');
        if (handled.length === 3) {
          // replaced with new content: a new ETag, so handled again
          await put(client, bucket, 'streams/1.csv', 'a2');
        }
        if (handled.length === 4) controller.abort();
      },
    });
    assert.deepEqual(
      handled.map((h) => h.split('#')[0]),
      ['streams/1.csv', 'streams/2.csv', 'streams/3.csv', 'streams/1.csv'],
    );
    assert.equal(new Set(handled).size, 4);
    assert.equal(summary.handled, 4);
    assert.ok(summary.polls >= 3);
  });

  it('does not hand an archived object over again, and retries a failed one on the next poll', async () => {
    await put(client, bucket, 'in2/a.csv', 'a');
    await put(client, bucket, 'in2/flaky.csv', 'f');
    const controller = new AbortController();
    const calls = new Map<string, number>();
    const errors: string[] = [];
    const summary = await watch({
      prefix: 'in2/',
      intervalMs: 1,
      signal: controller.signal,
      onError: (error, object) => {
        errors.push(`${object.key}: ${(error as Error).message}`);
      },
      handler: async (object) => {
        const n = (calls.get(object.key) ?? 0) + 1;
        calls.set(object.key, n);
        if (object.key === 'in2/flaky.csv' && n === 1) throw new Error('transient');
        await archiveObject({ client, bucket, key: object.key, sourcePrefix: 'in2/' });
        if (calls.get('in2/flaky.csv') === 2) controller.abort();
      },
    });
    assert.deepEqual(Object.fromEntries(calls), { 'in2/a.csv': 1, 'in2/flaky.csv': 2 });
    assert.deepEqual(errors, ['in2/flaky.csv: transient']);
    assert.equal(summary.failed, 1);
  });

  it('leaves no timer behind when aborted during the wait between polls', async () => {
    await put(client, bucket, 'in4/x.csv', 'x');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const controller = new AbortController();
    const summary = await watch({
      prefix: 'in4/',
      intervalMs: 10 * 60_000,
      signal: controller.signal,
      handler: async () => {
        // abort once the watch has gone to sleep for ten minutes
        setTimeout(() => controller.abort(), 20);
      },
    });
    assert.equal(summary.polls, 1);
    assert.equal(summary.handled, 1);
    assert.equal(timers(), before);
  });

  it('rejects when a handler fails and there is no onError', async () => {
    await put(client, bucket, 'in3/x.csv', 'x');
    await assert.rejects(
      watch({
        prefix: 'in3/',
        intervalMs: 1,
        signal: new AbortController().signal,
        handler: async () => {
          throw new Error('no good');
        },
      }),
      /no good/,
    );
  });

  it('returns at once for an aborted signal and rejects bad options', async () => {
    const controller = new AbortController();
    controller.abort();
    const summary = await watch({
      intervalMs: 60_000,
      signal: controller.signal,
      handler: async () => {},
    });
    assert.equal(summary.polls, 0);
    await assert.rejects(
      watch({
        intervalMs: -1,
        signal: controller.signal,
        handler: async () => {},
      }),
      OptionsError,
    );
  });
});
