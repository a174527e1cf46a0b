/**
 * Two workers on one object: the second claims it, lists it and finds no
 * manifest; its claim is then lost (as when it expires while the worker
 * stalls) and the first commits and archives the object (with its dead
 * letter) before the second's pool thread reads it. The second must report
 * it skipped and leave the first's dead-letter parts in place.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { runKpis } from '../src/index.js';
import { useEmulators } from './helpers/e2e.js';
import { deadLetterRows, rejectedRows, seedBucket, streamFiles } from './helpers/exactly-once.js';

const env = useEmulators();

test('an object archived by another worker before a pool thread reads it keeps that worker’s dead letter', async () => {
  const bucket = 'dl-overlap';
  const tableName = 'kpis-dl-overlap';
  const files = streamFiles(7, 1, 40, 'o');
  await seedBucket(env.s3, bucket, files);
  const first = () => runKpis({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, threads: 1 });
  // The second worker's client runs the first worker right after listing streams/.
  const s3 = env.s3rver.client();
  let raced = false;
  type Handler = (args: { readonly input: { Key?: string } }) => Promise<unknown>;
  s3.middlewareStack.add(
    ((next: Handler, context: { commandName?: string }) => async (args: Parameters<Handler>[0]) => {
      try {
        return await next(args);
      } catch (error) {
        // The manifest lookup found nothing: the claim is lost, and the first
        // worker takes the object over, commits and archives it.
        if (
          context.commandName === 'GetObjectCommand' &&
          args.input.Key?.startsWith('state/objects/') &&
          !raced
        ) {
          raced = true;
          await env.dynamo.send(
            new DeleteItemCommand({
              TableName: `${tableName}-state`,
              Key: { pk: { S: `s3://${bucket}/state/|claim|${bucket}/${files[0]!.key}` } },
            }),
          );
          const summary = await first();
          assert.equal(summary.objects.processed, 1);
        }
        throw error;
      }
    }) as never,
    { step: 'initialize', name: 'raceFirstWorker' },
  );
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
