/**
 * Concurrent workers (SPEC §6): three child processes released at the same
 * moment run `runKpis` on the same bucket, prefix and table. They split the
 * objects through claims (each object read by one worker), every worker
 * finishes without error and the result is exact. A second wave adds files
 * for dates already written. Against dynalite and DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DYNAMO_BACKENDS } from '../src/testing.js';
import { useEmulators } from './helpers/e2e.js';
import {
  assertExactlyOnce,
  type ChildSummary,
  childSummary,
  seedBucket,
  spawnRunner,
  streamFiles,
  whenReady,
} from './helpers/exactly-once.js';
import { startKillProxy } from './helpers/kill-proxy.js';

const BUCKET = 'eo-workers';
const TABLE = 'kpis-workers';

/** GETs of stream objects (not LISTs) in a proxy's log: objects read. */
const streamReads = (log: readonly string[]) =>
  log.filter((l) => /^GET s3 \/eo-workers\/streams\/[^?\s]+/.test(l)).length;

for (const backend of DYNAMO_BACKENDS) {
  describe(`concurrent workers (${backend})`, () => {
    const env = useEmulators(backend);

    /**
     * Starts three workers, releases them together, and returns their
     * summaries and the stream objects they read. S3 requests go through a
     * proxy that applies them one at a time, as S3 applies each request
     * atomically and s3rver does not (see `KillProxyOptions.serializeS3`);
     * workers still interleave per request.
     */
    async function threeWorkers(): Promise<{ summaries: ChildSummary[]; reads: number }> {
      const proxy = await startKillProxy({
        s3Target: env.s3rver.endpoint,
        dynamoTarget: env.ddb.endpoint,
        serializeS3: true,
      });
      try {
        const runners = [1, 2, 3].map(() =>
          spawnRunner({
            s3Endpoint: proxy.s3Endpoint,
            dynamoEndpoint: env.ddb.endpoint,
            bucket: BUCKET,
            tableName: TABLE,
            barrier: true,
            concurrency: 1,
          }),
        );
        await Promise.all(runners.map((r) => whenReady(r.child)));
        for (const r of runners) r.child.stdin!.end('go\n');
        const results = await Promise.all(runners.map((r) => r.done));
        const summaries = results.map((result) => {
          assert.equal(result.code, 0, `worker failed: ${result.stdout}\n${result.stderr}`);
          const summary = childSummary(result);
          assert.deepEqual(summary.errors, []);
          assert.equal(summary.ok, true);
          return summary;
        });
        return { summaries, reads: streamReads(proxy.log) };
      } finally {
        await proxy.close();
      }
    }

    const done = (s: readonly ChildSummary[]) =>
      new Set(
        s.flatMap((x) =>
          x.statuses.filter((st) => /:(processed|skipped)/.test(st)).map((st) => st.split(':')[0]),
        ),
      );

    it('three workers on 20 objects read at most 24 in all, twice: no errors, table == oracle, archived once', async (t) => {
      const wave1 = streamFiles(31, 20, 12, 'w');
      // The tables do not exist yet: the workers also race on creating them.
      await seedBucket(env.s3, BUCKET, wave1);
      const first = await threeWorkers();
      for (const s of first.summaries) t.diagnostic(`wave 1: ${s.statuses.join(' ')}`);
      t.diagnostic(`wave 1: ${first.reads} stream objects read by three workers`);
      assert.deepEqual([...done(first.summaries)].sort(), wave1.map((f) => f.key).sort());
      assert.ok(first.reads <= 24, `at most 24 objects read in all (${first.reads})`);
      assert.ok(first.reads >= 20, 'every object read');
      const processed = first.summaries.reduce((n, s) => n + (s.objects.processed ?? 0), 0);
      assert.equal(processed, 20, 'each object captured by one worker');
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: BUCKET,
        tableName: TABLE,
        files: wave1,
      });

      const wave2 = streamFiles(32, 4, 12, 'v');
      for (const f of wave2) await env.put(f.key, f.body, BUCKET);
      const second = await threeWorkers();
      for (const s of second.summaries) t.diagnostic(`wave 2: ${s.statuses.join(' ')}`);
      assert.deepEqual([...done(second.summaries)].sort(), wave2.map((f) => f.key).sort());
      assert.ok(second.reads <= 6, `wave 2 read ${second.reads} objects for 4`);
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: BUCKET,
        tableName: TABLE,
        files: [...wave1, ...wave2],
      });
    });
  });
}
