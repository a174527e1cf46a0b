/**
 * Stress of concurrent workers: ten rounds, each on a fresh upload, of three
 * child processes running `runKpis` on one prefix at once; in some rounds
 * (seeded) one worker is SIGKILLed at a random moment, and a re-run takes
 * over its expired claims. Every worker ends within a bound (killed or on
 * its own), and after each round the table equals the oracle, every object
 * is archived once and the dead letter holds every rejected row exactly
 * once. The seed is printed with every failure (`STRESS_SEED` replays it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prng } from '../../core/test/helpers/prng.js';
import { runKpis } from '../src/index.js';
import { startEmulators } from './helpers/e2e.js';
import {
  assertExactlyOnce,
  rerunUntilUnclaimed,
  seedBucket,
  spawnRunner,
  streamFiles,
  whenReady,
} from './helpers/exactly-once.js';
import { startKillProxy } from './helpers/kill-proxy.js';

const SEED = Number(process.env.STRESS_SEED ?? Date.now() % 100_000);
const ROUNDS = 10;
/** A worker still alive after this long is stuck (a small round takes seconds). */
const BOUND_MS = 150_000;
const CLAIM_TTL_MS = 500;

describe('three workers on one prefix, ten rounds, random kills', () => {
  let env: Awaited<ReturnType<typeof startEmulators>>;
  before(async () => {
    env = await startEmulators();
  });
  after(async () => {
    await env.close();
  });

  it(`every run ends within its bound and the result is exact each round (seed ${SEED})`, async (t) => {
    const r = prng(SEED);
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const where = `seed ${SEED}, round ${round}`;
      const bucket = `stress-${round}`;
      const tableName = `kpis-stress-${round}`;
      const files = streamFiles(SEED + round, 6, 12, `r${round}-`);
      await seedBucket(env.s3, bucket, files);
      // S3 applies each request atomically, s3rver does not: the proxy serializes them.
      const proxy = await startKillProxy({
        s3Target: env.s3rver.endpoint,
        dynamoTarget: env.ddb.endpoint,
        serializeS3: true,
      });
      const victim = r() < 0.5 ? Math.floor(r() * 3) : -1;
      const killAfterMs = Math.floor(r() * 1500);
      try {
        const runners = [0, 1, 2].map(() =>
          spawnRunner({
            s3Endpoint: proxy.s3Endpoint,
            dynamoEndpoint: env.ddb.endpoint,
            bucket,
            tableName,
            barrier: true,
            concurrency: 1,
            claimTtlMs: CLAIM_TTL_MS,
            threads: 1,
          }),
        );
        await Promise.all(runners.map((w) => whenReady(w.child)));
        let stuck = 0;
        const bounds = runners.map((w) =>
          setTimeout(() => {
            stuck++;
            w.child.kill('SIGKILL');
          }, BOUND_MS),
        );
        for (const w of runners) w.child.stdin!.end('go\n');
        const kill =
          victim < 0
            ? undefined
            : setTimeout(() => runners[victim]!.child.kill('SIGKILL'), killAfterMs);
        const results = await Promise.all(runners.map((w) => w.done));
        clearTimeout(kill);
        for (const b of bounds) clearTimeout(b);
        assert.equal(stuck, 0, `${where}: a worker did not end within ${BOUND_MS} ms`);
        for (const [i, res] of results.entries()) {
          if (res.signal === 'SIGKILL' && i === victim) {
            kills++;
            continue;
          }
          assert.equal(res.code, 0, `${where}: worker ${i} failed: ${res.stdout}\n${res.stderr}`);
        }
      } finally {
        await proxy.close();
      }
      const reruns = await rerunUntilUnclaimed(() =>
        runKpis({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, timeoutMs: BOUND_MS }),
      );
      for (const s of reruns) assert.equal(s.ok, true, `${where}: re-run failed`);
      try {
        await assertExactlyOnce({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, files });
      } catch (error) {
        (error as Error).message = `${where}: ${(error as Error).message}`;
        throw error;
      }
    }
    t.diagnostic(`seed ${SEED}: ${kills} workers killed mid-run in ${ROUNDS} rounds`);
  });
});
