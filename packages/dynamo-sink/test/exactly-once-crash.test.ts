/**
 * Crash safety (SPEC §6): a child process runs `runKpis` through a counting
 * proxy that SIGKILLs it when a chosen request arrives — before forwarding
 * it, or after the server applied it. Kill points: (1) spread over the whole
 * request sequence of a clean run (reference data, reads, dead letters,
 * partials, manifests, commits, archive copy/delete), and (2) every kind of
 * request of the commit path (claim, head read, first-commit LIST, snapshot
 * GET/PUT, head swap, item put, head marked written, claim release), each
 * killed before and after across the two DynamoDB backends. A re-run (until
 * the killed worker's claims expired) must then leave the table equal to
 * the oracle, every object archived once and each rejected row
 * dead-lettered once.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { before, describe, it } from 'node:test';
import pLimit from 'p-limit';
import { runKpis } from '../src/index.js';
import { DYNAMO_BACKENDS } from '../src/testing.js';
import { type Emulators, useEmulators } from './helpers/e2e.js';
import type { RunnerEnv } from './helpers/exactly-once.js';
import {
  assertExactlyOnce,
  childSummary,
  rerunUntilUnclaimed,
  seedBucket,
  spawnRunner,
  streamFiles,
} from './helpers/exactly-once.js';
import {
  type KillProxyOptions,
  type ProxiedRequest,
  startKillProxy,
} from './helpers/kill-proxy.js';
import { prng } from './helpers/kpi-fixtures.js';

/** Four files sharing dates, with dirty rows of every kind. */
const FILES = streamFiles(21, 4, 12);
/** Claims of a killed child expire quickly, so the re-run can take its objects over. */
const CLAIM_TTL_MS = 300;

const dynamo = (op: string, record?: string) => (r: ProxiedRequest) =>
  r.kind === 'dynamodb' &&
  r.target.endsWith(`.${op}`) &&
  (record === undefined || r.body.includes(record));
const s3 = (method: string, path: RegExp) => (r: ProxiedRequest) =>
  r.kind === 's3' && r.method === method && path.test(r.url);

/** The runner's settings a kill point needs to be reached in every run. */
type RunnerSettings = Pick<RunnerEnv, 'concurrency' | 'threads'>;
/**
 * One capture slot: the objects read beside a date's first commit join it,
 * so with one slot that commit holds at most two of the four files and the
 * date all four share commits again, reading its snapshot back. With more
 * slots all four may be captured before the first commit and no snapshot is
 * ever read.
 */
const ONE_SLOT: RunnerSettings = { concurrency: 1, threads: 0 };

/** Every kind of request of the commit path, which occurrence to kill, and the runner's settings. */
const COMMIT_PATH: readonly {
  name: string;
  match: (r: ProxiedRequest) => boolean;
  nth: number;
  runner?: RunnerSettings;
}[] = [
  { name: 'claim', match: dynamo('PutItem', '|claim|'), nth: 2 },
  { name: 'head read', match: dynamo('GetItem', '|head|'), nth: 3 },
  { name: 'first-commit LIST', match: s3('GET', /list-type=2.*state%2Fpartials/), nth: 2 },
  { name: 'snapshot GET', match: s3('GET', /\/state\/snapshots\//), nth: 1, runner: ONE_SLOT },
  { name: 'snapshot PUT', match: s3('PUT', /\/state\/snapshots\//), nth: 3 },
  { name: 'head swap', match: dynamo('PutItem', '|head|'), nth: 3 },
  { name: 'item put', match: dynamo('PutItem', '"track_genre"'), nth: 4 },
  { name: 'head written', match: dynamo('UpdateItem', '|head|'), nth: 2 },
  { name: 'claim release', match: dynamo('DeleteItem', '|claim|'), nth: 2 },
];

for (const backend of DYNAMO_BACKENDS) {
  describe(`crash at any request (${backend})`, () => {
    const env = useEmulators(backend);
    /** The re-runs' client: SDK retries on, as a real runner has (an idle keep-alive socket may be reset). */
    let rerunDynamo: ReturnType<Emulators['ddb']['client']>;
    before(() => {
      rerunDynamo = env.ddb.client({ maxAttempts: 3 });
    });

    /** Kills a child at one point, re-runs, asserts exactly-once; returns what was hit. */
    async function killAndRecover(
      id: string,
      point: Pick<KillProxyOptions, 'killAt' | 'killOn' | 'mode'>,
      runnerSettings: RunnerSettings = {},
    ): Promise<string> {
      const bucket = `eo-crash-${id}`;
      const tableName = `kpis-crash-${id}`;
      await seedBucket(env.s3, bucket, FILES);
      let child: ChildProcess | undefined;
      const proxy = await startKillProxy({
        s3Target: env.s3rver.endpoint,
        dynamoTarget: env.ddb.endpoint,
        ...point,
        kill: () => child?.kill('SIGKILL'),
      });
      const runner = spawnRunner({
        s3Endpoint: proxy.s3Endpoint,
        dynamoEndpoint: proxy.dynamoEndpoint,
        bucket,
        tableName,
        claimTtlMs: CLAIM_TTL_MS,
        ...runnerSettings,
      });
      child = runner.child;
      const result = await runner.done;
      await proxy.close();
      assert.equal(
        result.signal,
        'SIGKILL',
        `kill point ${id} not reached: the child exited with code ${result.code} after ` +
          `${proxy.requests} requests (${proxy.matched} matching); stdout: ${result.stdout}`,
      );

      const problems: string[] = [];
      const reruns = await rerunUntilUnclaimed(() =>
        runKpis({
          s3: env.s3,
          dynamo: rerunDynamo,
          bucket,
          tableName,
          onError: (error, where) => {
            problems.push(`${where.key ?? where.date}: ${String((error as Error).stack ?? error)}`);
          },
        }),
      );
      for (const rerun of reruns) {
        assert.equal(
          rerun.ok,
          true,
          `re-run after ${id} (${proxy.killedAt}): ${problems.join('; ')}`,
        );
      }
      await assertExactlyOnce({ s3: env.s3, dynamo: env.dynamo, bucket, tableName, files: FILES });
      return `${id} ${point.mode ?? 'before'}: ${proxy.killedAt}`;
    }

    it('SIGKILL at every kind of commit-path request, then a re-run: table == oracle, archived and dead-lettered once', async (t) => {
      // dynalite kills after the request was applied, DynamoDB Local before it: both modes are covered.
      const mode = backend === 'dynalite' ? 'after' : 'before';
      const limit = pLimit(3);
      const hit = await Promise.all(
        COMMIT_PATH.map((k, i) =>
          limit(() =>
            killAndRecover(
              `path-${i}`,
              { killOn: { match: k.match, nth: k.nth }, mode },
              k.runner,
            ).then((what) => `${k.name} — ${what}`),
          ),
        ),
      );
      for (const h of hit) t.diagnostic(h);
      assert.equal(hit.length, COMMIT_PATH.length);
    });

    // The spread over the whole sequence runs against dynalite (fast, in process).
    if (backend !== 'dynalite') return;
    const KILL_POINTS = 22;

    it(`SIGKILL at ${KILL_POINTS} points across the protocol, then a re-run: table == oracle, archived and dead-lettered once`, async (t) => {
      // A clean run through the proxy: its request count spans the protocol.
      await seedBucket(env.s3, 'eo-crash-clean', FILES);
      const counter = await startKillProxy({
        s3Target: env.s3rver.endpoint,
        dynamoTarget: env.ddb.endpoint,
      });
      const clean = spawnRunner({
        s3Endpoint: counter.s3Endpoint,
        dynamoEndpoint: counter.dynamoEndpoint,
        bucket: 'eo-crash-clean',
        tableName: 'kpis-crash-clean',
      });
      const cleanResult = await clean.done;
      await counter.close();
      assert.equal(cleanResult.code, 0, cleanResult.stderr);
      assert.equal(childSummary(cleanResult).objects.processed, FILES.length);
      const total = counter.requests;
      t.diagnostic(`clean run: ${total} requests`);
      assert.ok(total >= KILL_POINTS * 2, `enough requests to spread kill points (${total})`);
      await assertExactlyOnce({
        s3: env.s3,
        dynamo: env.dynamo,
        bucket: 'eo-crash-clean',
        tableName: 'kpis-crash-clean',
        files: FILES,
      });

      // One kill point per stratum of the request sequence, at a seeded random offset.
      const random = prng(7);
      const points = Array.from({ length: KILL_POINTS }, (_, i) => {
        const lo = Math.floor((i * total) / KILL_POINTS) + 1;
        const hi = Math.floor(((i + 1) * total) / KILL_POINTS);
        return lo + Math.floor(random() * (hi - lo + 1));
      });
      assert.equal(new Set(points).size, KILL_POINTS, 'distinct kill points');
      const limit = pLimit(3);
      const killed = await Promise.all(
        points.map((killAt, i) =>
          limit(() =>
            killAndRecover(`n${killAt}`, { killAt, mode: i % 2 === 0 ? 'before' : 'after' }),
          ),
        ),
      );
      for (const k of killed) t.diagnostic(k);
      assert.equal(killed.length, KILL_POINTS);
    });
  });
}
