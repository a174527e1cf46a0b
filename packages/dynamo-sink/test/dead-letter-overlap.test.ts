/**
 * Two workers on one object: the second claims it, lists it and finds no
 * manifest; its claim is then lost (as when it expires while the worker
 * stalls) and the first commits and archives the object (with its dead
 * letter) before the second's pool thread reads it — or while the second
 * is still reading it, and the second's read then fails. Either way the
 * second must report it skipped and leave the first's dead-letter parts in
 * place.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { runKpis } from '../src/index.js';
import { useEmulators } from './helpers/e2e.js';
import { deadLetterRows, rejectedRows, seedBucket, streamFiles } from './helpers/exactly-once.js';

const env = useEmulators();

/** Deletes the claim on `key`, as when it expired while its worker stalled. */
function dropClaim(tableName: string, bucket: string, key: string) {
  return env.dynamo.send(
    new DeleteItemCommand({
      TableName: `${tableName}-state`,
      Key: { pk: { S: `s3://${bucket}/state/|claim|${bucket}/${key}` } },
    }),
  );
}

type Request = { readonly input: { Key?: string } };

/**
 * A client of the test's s3rver whose every request goes through `around`
 * (with the command's name and the request's input) before the SDK sends it.
 */
function interceptedClient(
  around: (
    command: string | undefined,
    args: Request,
    next: () => Promise<unknown>,
  ) => Promise<unknown>,
) {
  const s3 = env.s3rver.client();
  s3.middlewareStack.add(
    ((next: (args: Request) => Promise<unknown>, context: { commandName?: string }) =>
      (args: Request) =>
        around(context.commandName, args, () => next(args))) as never,
    { step: 'initialize', name: 'interceptRequests' },
  );
  return s3;
}

describe('dead-letter-overlap', () => {
  it('an object archived by another worker before a pool thread reads it keeps that worker’s dead letter', async () => {
    const bucket = 'dl-overlap';
    const tableName = 'kpis-dl-overlap';
    const files = streamFiles(7, 1, 40, 'o');
    await seedBucket(env.s3, bucket, files);
    const first = () => runKpis({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, threads: 1 });
    // The second worker's client runs the first worker right after listing streams/.
    let raced = false;
    const s3 = interceptedClient(async (command, args, next) => {
      try {
        return await next();
      } catch (error) {
        // The manifest lookup found nothing: the claim is lost, and the first
        // worker takes the object over, commits and archives it.
        if (
          command === 'GetObjectCommand' &&
          args.input.Key?.startsWith('state/objects/') &&
          !raced
        ) {
          raced = true;
          await dropClaim(tableName, bucket, files[0]!.key);
          const summary = await first();
          assert.equal(summary.objects.processed, 1);
        }
        throw error;
      }
    });
    const second = await runKpis({ s3, dynamo: env.dynamo, bucket, tableName, threads: 1 });
    s3.destroy();
    assert.equal(raced, true);
    assert.deepEqual(
      second.outcomes.map((o) => `${o.key}:${o.status}`),
      [`${files[0]!.key}:skipped`],
    );
    assert.ok(rejectedRows(files).length > 0);
    assert.deepEqual(await deadLetterRows(env.s3, bucket), rejectedRows(files));
  });

  it('a worker that fails mid-read after another worker captured the object leaves that worker’s dead letter', async () => {
    const bucket = 'dl-overlap-late';
    const tableName = 'kpis-dl-overlap-late';
    // More rejected rows than two dead-letter parts hold (10,000 each): parts 1
    // and 2 are uploaded while the object is still being read.
    const rows = ['user_id,track_id,listen_time'];
    for (let i = 0; i < 20_050; i++) rows.push(`x,t1,2024-06-25 10:00:00`);
    for (let i = 0; i < 20; i++) rows.push(`${1 + (i % 5)},t${1 + (i % 4)},2024-06-25 11:00:00`);
    const file = { key: 'streams/late.csv', body: `${rows.join('\n')}\n` };
    await seedBucket(env.s3, bucket, [file]);
    let raced = false;
    const s3 = interceptedClient(async (command, args, next) => {
      if (
        command === 'PutObjectCommand' &&
        args.input.Key?.endsWith('.part-00002.ndjson') &&
        !raced
      ) {
        raced = true;
        // Part 1 is written; this worker's claim is lost while it reads on;
        // another worker takes the object over and captures, commits and
        // archives it (its dead-letter parts under the same names), then this
        // worker's upload of part 2 fails and so does its read.
        await dropClaim(tableName, bucket, file.key);
        const other = await runKpis({ s3: env.s3, dynamo: env.dynamo, bucket, tableName });
        assert.equal(other.objects.processed, 1);
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return next();
    });
    // Renewals far apart: the deleted claim is not taken back before the other worker runs.
    const late = await runKpis({
      s3,
      dynamo: env.dynamo,
      bucket,
      tableName,
      threads: 0,
      claimTtlMs: 600_000,
    });
    s3.destroy();
    assert.equal(raced, true);
    const rejected = rejectedRows([file]);
    assert.equal(rejected.length, 20_050);
    assert.deepEqual(await deadLetterRows(env.s3, bucket), rejected);
    // Captured by the other worker: skipped here, not failed. (Processed would
    // mean the failed upload of part 2 did not fail this worker's read.)
    assert.deepEqual(
      late.outcomes.map((o) => `${o.key}:${o.status}`),
      [`${file.key}:skipped`],
    );
    assert.equal(late.failures.length, 0);
  });
});
