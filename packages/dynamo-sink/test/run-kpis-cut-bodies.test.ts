/**
 * One flaky connection does not fail a pass: every kind of GET a run makes
 * — stream object, songs and users, a captured object's manifest, a stored
 * partial, a date's snapshot — has its body cut once mid-stream, and the
 * one pass still converges to the fault-free table with every row counted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPartialStore, runKpis } from '../src/index.js';
import {
  BUCKET,
  expected,
  LISTENS,
  put,
  songsCsv,
  TABLE,
  tableItems,
  useProxiedEmulators,
} from './helpers/e2e.js';
import { USERS_CSV } from './helpers/exactly-once.js';

const { a: FILE_A, b: FILE_B, c: FILE_C } = LISTENS;
/** Bytes of a body let through before the connection is dropped. */
const CUT_AFTER = 16;

const emulators = useProxiedEmulators();

/** Cuts the first full GET whose path contains each of `parts`, once each. */
function cutOnceEach(parts: readonly string[]) {
  const left = new Set(parts);
  return (req: { method: string; url: string; range: string | undefined }) => {
    if (req.method !== 'GET' || req.range !== undefined || req.url.includes('list-type=')) {
      return undefined;
    }
    const url = decodeURIComponent(req.url);
    const part = [...left].find((p) => url.includes(p));
    if (part === undefined) return undefined;
    left.delete(part);
    return { cutAfter: CUT_AFTER };
  };
}

describe('runKpis through cut GET bodies', () => {
  for (const threads of [0, 2]) {
    it(`converges in one pass with one cut of each kind of GET (threads ${threads})`, async () => {
      const prefix = `cut${threads}/`;
      const tableName = `${TABLE}-cut${threads}`;
      const options = {
        dynamo: emulators.env.dynamo,
        bucket: BUCKET,
        prefix,
        tableName,
        threads,
        retryDelayMs: 10,
      };
      await put(emulators.env.s3, `${prefix}songs/songs.csv`, songsCsv());
      await put(emulators.env.s3, `${prefix}users/users.csv`, USERS_CSV);
      await put(emulators.env.s3, `${prefix}streams/a.csv`, FILE_A);
      assert.equal((await runKpis({ ...options, s3: emulators.env.s3 })).ok, true);

      // B is captured (partials, manifest) but its commit cannot read the
      // dates' snapshots: it is left for the next pass, as after a crash.
      await put(emulators.env.s3, `${prefix}streams/b.csv`, FILE_B);
      emulators.proxy.plan = (req) =>
        req.method === 'GET' && req.url.includes(`${prefix}state/snapshots/`)
          ? { status: 500, code: 'InternalError' }
          : undefined;
      const failed = await runKpis({ ...options, s3: emulators.viaProxy });
      assert.equal(failed.ok, false);
      assert.deepEqual(
        failed.outcomes.map((o) => [o.key, o.archived]),
        [[`${prefix}streams/b.csv`, false]],
      );
      // Each failed date is listed with the object waiting on it (B stays captured: its rows count once, here).
      assert.deepEqual(
        failed.failures.map((f) => [f.kind, f.key, f.date, f.step, f.transient]).sort(),
        [
          ['date', `${prefix}streams/b.csv`, '2024-06-25', 'commit', true],
          ['date', `${prefix}streams/b.csv`, '2024-06-26', 'commit', true],
        ],
      );
      assert.match(String(failed.failures[0]?.error), /InternalError/);
      assert.equal(failed.streams.rowsRead, 2);

      await put(emulators.env.s3, `${prefix}streams/c.csv`, FILE_C);
      const head = await emulators.env.s3.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}streams/b.csv` }),
      );
      const store = createPartialStore({
        client: emulators.env.s3,
        bucket: BUCKET,
        prefix: `${prefix}state/`,
      });
      const manifestOfB = `${prefix}state/objects/${store.objectIdOf(BUCKET, `${prefix}streams/b.csv`, (head.ETag ?? '').replaceAll('"', ''))}`;
      const kinds = [
        `${prefix}streams/c.csv`,
        `${prefix}songs/songs.csv`,
        `${prefix}users/users.csv`,
        manifestOfB,
        `${prefix}state/partials/`,
        `${prefix}state/snapshots/`,
      ];
      emulators.proxy.requests.length = 0;
      emulators.proxy.plan = cutOnceEach(kinds);
      const summary = await runKpis({ ...options, s3: emulators.viaProxy });

      assert.equal(summary.ok, true, JSON.stringify(summary.outcomes));
      assert.deepEqual(summary.outcomes.map((o) => [o.key, o.status, o.archived]).sort(), [
        [`${prefix}streams/b.csv`, 'skipped', true],
        [`${prefix}streams/c.csv`, 'processed', true],
      ]);
      assert.deepEqual(
        await tableItems(emulators.env.dynamo, tableName),
        expected([FILE_A, FILE_B, FILE_C]),
      );
      const s = summary.streams;
      assert.equal(s.rowsRead, 2);
      assert.equal(s.rowsRead, s.rowsAggregated + s.rowsRejected);
      // Each kind was cut once and resumed from the byte where it was cut.
      const gets = emulators.proxy.requests.filter((r) => r.method === 'GET');
      for (const kind of kinds) {
        const resumed = gets.filter(
          (r) => decodeURIComponent(r.url).includes(kind) && r.range === `bytes=${CUT_AFTER}-`,
        );
        assert.equal(resumed.length, 1, `one resumed GET of ${kind}`);
      }
    });
  }
});
