/**
 * Concurrent workers (SPEC §6): three child processes released at the same
 * moment run `runKpis` on the same bucket, prefix and table. Objects may be
 * read by several workers; every worker must finish without error and the
 * result must be exact. A second wave adds files for dates already written.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { put, startEmulators } from './helpers/e2e.js';
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

let env: Awaited<ReturnType<typeof startEmulators>>;
before(async () => {
  env = await startEmulators();
});
after(async () => {
  await env.close();
});

const BUCKET = 'eo-workers';
const TABLE = 'kpis-workers';

/**
 * Starts three workers, releases them together, and returns their summaries.
 * S3 requests go through a proxy that applies them one at a time, as S3
 * applies each request atomically and s3rver does not (see
 * `KillProxyOptions.serializeS3`); workers still interleave per request.
 */
async function threeWorkers(): Promise<ChildSummary[]> {
  const proxy = await startKillProxy({
    s3Target: env.s3rver.endpoint,
    dynamoTarget: env.dynalite.endpoint,
    serializeS3: true,
  });
  try {
    return await release(proxy.s3Endpoint);
  } finally {
    await proxy.close();
  }
}

async function release(s3Endpoint: string): Promise<ChildSummary[]> {
  const runners = [1, 2, 3].map(() =>
    spawnRunner({
      s3Endpoint,
      dynamoEndpoint: env.dynalite.endpoint,
      bucket: BUCKET,
      tableName: TABLE,
      barrier: true,
      concurrency: 1,
    }),
  );
  await Promise.all(runners.map((r) => whenReady(r.child)));
  for (const r of runners) r.child.stdin!.end('go\n');
  const results = await Promise.all(runners.map((r) => r.done));
  return results.map((result) => {
    assert.equal(result.code, 0, `worker failed: ${result.stdout}\n${result.stderr}`);
    const summary = childSummary(result);
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.ok, true);
    return summary;
  });
}

test('three workers at once on the same prefix, twice: no errors, table == oracle, archived once', async (t) => {
  const wave1 = streamFiles(31, 6, 12, 'w');
  // The table does not exist yet: the workers also race on creating it.
  await seedBucket(env.s3, BUCKET, wave1);
  const first = await threeWorkers();
  const done = (s: ChildSummary[]) =>
    new Set(
      s.flatMap((x) =>
        x.statuses.filter((st) => /:(processed|skipped)/.test(st)).map((st) => st.split(':')[0]),
      ),
    );
  assert.deepEqual([...done(first)].sort(), wave1.map((f) => f.key).sort());
  for (const s of first) t.diagnostic(`wave 1: ${s.statuses.join(' ')}`);
  await assertExactlyOnce({
    s3: env.s3,
    dynamo: env.dynamo,
    bucket: BUCKET,
    tableName: TABLE,
    files: wave1,
  });

  const wave2 = streamFiles(32, 4, 12, 'v');
  for (const f of wave2) await put(env.s3, f.key, f.body, BUCKET);
  const second = await threeWorkers();
  for (const s of second) t.diagnostic(`wave 2: ${s.statuses.join(' ')}`);
  assert.deepEqual([...done(second)].sort(), wave2.map((f) => f.key).sort());
  await assertExactlyOnce({
    s3: env.s3,
    dynamo: env.dynamo,
    bucket: BUCKET,
    tableName: TABLE,
    files: [...wave1, ...wave2],
  });
});
