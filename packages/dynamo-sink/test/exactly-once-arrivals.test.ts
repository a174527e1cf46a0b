/**
 * Constant commit cost (SPEC §6): 200 files for one date, each committed by
 * its own event-driven run as it lands. The S3 requests of the 200th run are
 * no more than those of the 2nd plus 2 (no commit reads every partial), the
 * DynamoDB item writes of each run equal the items whose KPIs changed (by
 * the oracle), and the table equals the oracle after every 50 arrivals.
 * Against dynalite and DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { runKpis } from '../src/index.js';
import { DYNAMO_BACKENDS } from '../src/testing.js';
import { expected, streamsCsv, useEmulators } from './helpers/e2e.js';
import { type StreamFile, seedBucket } from './helpers/exactly-once.js';
import { prng } from './helpers/kpi-fixtures.js';

const ARRIVALS = 200;
const DATE = '2024-06-25';
const TRACKS = ['t1', 't2', 't3', 't4'];

/** Small files of one date: each touches one or two tracks, so some items change and others do not. */
function arrivals(seed: number): StreamFile[] {
  const r = prng(seed);
  return Array.from({ length: ARRIVALS }, (_, i) => {
    const rows = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
      user_id: 1 + Math.floor(r() * 40),
      track_id: TRACKS[Math.floor(r() * (i % 3 === 0 ? 4 : 2))] as string,
      listen_time: `${DATE} ${String(Math.floor(r() * 24)).padStart(2, '0')}:00:00`,
    }));
    return { key: `streams/a${String(i).padStart(3, '0')}.csv`, body: streamsCsv(rows) };
  });
}

/** Counts the requests a client sends (each SDK attempt). */
function countRequests(
  client: S3Client | DynamoDBClient,
  accept: (command: string, input: Record<string, unknown>) => boolean,
) {
  const counter = { n: 0 };
  type Handler = (args: { readonly input: unknown }) => Promise<unknown>;
  (client.middlewareStack as { add(m: never, o: object): void }).add(
    ((next: Handler, context: { readonly commandName?: string }) =>
      async (args: { readonly input: unknown }) => {
        if (accept(context.commandName ?? '', args.input as Record<string, unknown>)) counter.n++;
        return next(args);
      }) as never,
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  return counter;
}

/** Genres of `DATE` whose oracle item differs between `before` and `after`. */
function changedItems(before: readonly StreamFile[], after: readonly StreamFile[]): number {
  const ofDate = (files: readonly StreamFile[]) =>
    new Map(
      expected(files.map((f) => f.body))
        .filter((i) => i.date === DATE)
        .map((i) => [i.track_genre as string, JSON.stringify(i)]),
    );
  const a = ofDate(before);
  let n = 0;
  for (const [genre, item] of ofDate(after)) if (a.get(genre) !== item) n++;
  return n;
}

for (const backend of DYNAMO_BACKENDS) {
  describe(`200 arrivals to one date (${backend})`, () => {
    const env = useEmulators(backend);

    it('the 200th commit costs the S3 requests of the 2nd (+2) and writes exactly the items that changed', async (t) => {
      const bucket = 'eo-arrivals';
      const tableName = 'kpis-arrivals';
      const files = arrivals(backend === 'dynalite' ? 41 : 42);
      await seedBucket(env.s3, bucket, []);
      const s3 = env.s3rver.client();
      const dynamo = env.ddb.client({ maxAttempts: 3 });
      const s3Requests = countRequests(s3, () => true);
      const itemPuts = countRequests(
        dynamo,
        (command, input) => command.startsWith('Put') && input.TableName === tableName,
      );
      const requests: number[] = [];
      for (const [i, file] of files.entries()) {
        await env.put(file.key, file.body, bucket);
        const s3Before = s3Requests.n;
        const putsBefore = itemPuts.n;
        const summary = await runKpis({ s3, dynamo, bucket, tableName, keys: [file.key] });
        assert.equal(summary.ok, true, `arrival ${i + 1}`);
        assert.equal(summary.objects.processed, 1);
        assert.deepEqual(
          summary.dates.map((d) => [d.date, d.version]),
          [[DATE, i + 1]],
          'one commit of the date, version = arrivals so far',
        );
        requests.push(s3Requests.n - s3Before);
        const changed = changedItems(files.slice(0, i), files.slice(0, i + 1));
        assert.equal(
          itemPuts.n - putsBefore,
          changed,
          `arrival ${i + 1}: item writes = items changed`,
        );
        assert.equal(summary.itemsWritten, changed);
        if ((i + 1) % 50 === 0) {
          assert.deepEqual(
            await env.tableItems(tableName),
            expected(files.slice(0, i + 1).map((f) => f.body)),
            `table == oracle after ${i + 1} arrivals`,
          );
        }
      }
      t.diagnostic(
        `S3 requests per run at arrivals 1, 2, 100, 200: ${requests[0]}, ${requests[1]}, ${requests[99]}, ${requests[199]}`,
      );
      assert.ok(
        (requests[199] as number) <= (requests[1] as number) + 2,
        `200th run: ${requests[199]} S3 requests, 2nd: ${requests[1]}`,
      );
      assert.ok(
        files.some((_, i) => changedItems(files.slice(0, i), files.slice(0, i + 1)) < 3),
        'some arrivals leave items unchanged (the check is not vacuous)',
      );
    });
  });
}
