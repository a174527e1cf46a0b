/**
 * Crash safety (SPEC §6): a child process runs `runKpis` through a counting
 * proxy that SIGKILLs it when request #N arrives — before forwarding it, or
 * after the server applied it — with N spread over the whole request
 * sequence of a clean run (reference data, reads, dead letters, partials,
 * manifests, conditional puts, archive copy/delete). A re-run must then leave
 * the table equal to the oracle, every object archived once and each
 * rejected row dead-lettered once.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import pLimit from 'p-limit';
import { runKpis } from '../src/index.js';
import { startEmulators } from './helpers/e2e.js';
import {
  assertExactlyOnce,
  childSummary,
  rng,
  seedBucket,
  spawnRunner,
  streamFiles,
} from './helpers/exactly-once.js';
import { startKillProxy } from './helpers/kill-proxy.js';

let env: Awaited<ReturnType<typeof startEmulators>>;
before(async () => {
  env = await startEmulators();
});
after(async () => {
  await env.close();
});

/** Four files sharing dates, with dirty rows of every kind. */
const FILES = streamFiles(21, 4, 12);
const KILL_POINTS = 22;

test('SIGKILL at 22 points across the protocol, then a re-run: table == oracle, archived and dead-lettered once', async (t) => {
  // A clean run through the proxy: its request count spans the protocol.
  await seedBucket(env.s3, 'eo-crash-clean', FILES);
  const counter = await startKillProxy({
    s3Target: env.s3rver.endpoint,
    dynamoTarget: env.dynalite.endpoint,
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
  const random = rng(7);
  const points = Array.from({ length: KILL_POINTS }, (_, i) => {
    const lo = Math.floor((i * total) / KILL_POINTS) + 1;
    const hi = Math.floor(((i + 1) * total) / KILL_POINTS);
    return lo + Math.floor(random() * (hi - lo + 1));
  });
  assert.equal(new Set(points).size, KILL_POINTS, 'distinct kill points');

  const limit = pLimit(3);
  const killed: string[] = [];
  await Promise.all(
    points.map((killAt, i) =>
      limit(async () => {
        const bucket = `eo-crash-${i}`;
        const tableName = `kpis-crash-${i}`;
        const mode = i % 2 === 0 ? 'before' : 'after';
        await seedBucket(env.s3, bucket, FILES);
        let child: ChildProcess | undefined;
        const proxy = await startKillProxy({
          s3Target: env.s3rver.endpoint,
          dynamoTarget: env.dynalite.endpoint,
          killAt,
          mode,
          kill: () => child?.kill('SIGKILL'),
        });
        const runner = spawnRunner({
          s3Endpoint: proxy.s3Endpoint,
          dynamoEndpoint: proxy.dynamoEndpoint,
          bucket,
          tableName,
        });
        child = runner.child;
        const result = await runner.done;
        await proxy.close();
        assert.equal(result.signal, 'SIGKILL', `kill point ${killAt} reached: ${result.stderr}`);
        killed.push(`#${killAt} ${mode}: ${proxy.killedAt}`);

        const problems: string[] = [];
        const rerun = await runKpis({
          s3: env.s3,
          dynamo: env.dynamo,
          bucket,
          tableName,
          onError: (error, where) => {
            problems.push(`${where.key ?? where.date}: ${String((error as Error).stack ?? error)}`);
          },
        });
        assert.equal(
          rerun.ok,
          true,
          `re-run after kill at #${killAt} (${proxy.killedAt}): ${problems.join('; ')}`,
        );
        await assertExactlyOnce({
          s3: env.s3,
          dynamo: env.dynamo,
          bucket,
          tableName,
          files: FILES,
        });
      }),
    ),
  );
  killed.sort((a, b) => Number(a.split(' ')[0]!.slice(1)) - Number(b.split(' ')[0]!.slice(1)));
  for (const k of killed) t.diagnostic(k);
  assert.equal(killed.length, KILL_POINTS);
});
