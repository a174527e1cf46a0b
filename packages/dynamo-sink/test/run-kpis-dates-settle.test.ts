/**
 * An object's outcome waits for every one of its dates: when one date's
 * commit fails at once and another is slow, the run returns only once the
 * slow one has committed, and nothing of the run is still in flight after.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runKpis } from '../src/index.js';
import {
  BUCKET,
  LISTENS,
  put,
  songsCsv,
  TABLE,
  tableItems,
  useProxiedEmulators,
} from './helpers/e2e.js';
import { USERS_CSV } from './helpers/exactly-once.js';

const emulators = useProxiedEmulators();
/** How long the slow date's first read of the state is held. */
const HOLD_MS = 400;

describe('runKpis with one failing and one slow date of an object', () => {
  for (const threads of [0, 2]) {
    it(`returns after the slow date committed (threads ${threads})`, async () => {
      const prefix = `settle${threads}/`;
      const tableName = `${TABLE}-settle${threads}`;
      await put(emulators.env.s3, `${prefix}songs/songs.csv`, songsCsv());
      await put(emulators.env.s3, `${prefix}users/users.csv`, USERS_CSV);
      // Across midnight: 2024-06-25 and 2024-06-26, both first commits.
      await put(emulators.env.s3, `${prefix}streams/b.csv`, LISTENS.b);
      emulators.proxy.plan = async (req) => {
        const url = decodeURIComponent(req.url);
        if (!url.includes('list-type=')) return undefined;
        if (url.includes(`${prefix}state/partials/2024-06-25/`)) {
          return { status: 403, code: 'AccessDenied' };
        }
        if (url.includes(`${prefix}state/partials/2024-06-26/`)) await sleep(HOLD_MS);
        return undefined;
      };
      const summary = await runKpis({
        s3: emulators.viaProxy,
        dynamo: emulators.env.dynamo,
        bucket: BUCKET,
        prefix,
        tableName,
        threads,
        retryDelayMs: 10,
      });
      const seen = emulators.proxy.requests.length;

      assert.equal(summary.ok, false);
      assert.deepEqual(
        summary.failures.map((f) => [f.kind, f.date, f.transient]),
        [['date', '2024-06-25', false]],
      );
      assert.deepEqual(
        summary.outcomes.map((o) => [o.key, o.archived]),
        [[`${prefix}streams/b.csv`, false]],
      );
      // The slow date is in the summary and in the table when the run returns.
      assert.deepEqual(
        summary.dates.map((d) => [d.date, d.version]),
        [['2024-06-26', 1]],
      );
      const dates = new Set((await tableItems(emulators.env.dynamo, tableName)).map((i) => i.date));
      assert.deepEqual([...dates], ['2024-06-26']);
      // Nothing of the run talks to S3 after it returned.
      await sleep(HOLD_MS);
      assert.equal(emulators.proxy.requests.length, seen);
    });
  }
});
