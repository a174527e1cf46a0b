/**
 * A row's cost is bounded by its bytes, not its cell count: rows of a
 * million and four million commas are dead-lettered as `too_many_fields`
 * by `kpis local`, on the main thread and on worker threads, the rest of
 * the file is aggregated and the process stays under 300 MB RSS.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CliSummary } from '../src/cli/summary.js';
import { collect, startScript } from './helpers/spawn-cli.js';

const CLI_WITH_RSS = fileURLToPath(new URL('./helpers/max-rss-cli.ts', import.meta.url));
const SONGS = 'track_id,track_name,duration_ms,track_genre\nt1,One,1000,pop\n';
const good = (user: number) => `${user},t1,2024-06-25 10:00:00\n`;

describe('rows of millions of cells', { timeout: 240_000 }, () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkpi-wide-rows-'));
    await mkdir(join(root, 'data/streams'), { recursive: true });
    await writeFile(join(root, 'data/songs.csv'), SONGS);
    const body = [
      'user_id,track_id,listen_time\n',
      good(1),
      `${','.repeat(1_000_000)}\n`,
      good(2),
      `7,t1,${','.repeat(4_000_000)}\n`,
      good(3),
    ].join('');
    await writeFile(join(root, 'data/streams/wide.csv'), body);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  for (const threads of [0, 2]) {
    it(`--threads ${threads}: both rows dead-lettered as too_many_fields with their lines, peak RSS < 300 MB`, async () => {
      const deadLetter = join(root, `dead-${threads}.ndjson`);
      const summaryJson = join(root, `summary-${threads}.json`);
      const r = await collect(
        startScript(CLI_WITH_RSS, [
          'local',
          '--input',
          join(root, 'data'),
          '--out',
          join(root, `items-${threads}.ndjson`),
          '--dead-letter',
          deadLetter,
          '--summary-json',
          summaryJson,
          '--threads',
          String(threads),
        ]),
      );
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(await readFile(summaryJson, 'utf8')) as CliSummary;
      assert.equal(summary.ok, true);
      assert.deepEqual(summary.failures, []);
      assert.equal(summary.rowsRead, 5);
      assert.equal(summary.rowsAggregated, 3);
      assert.equal(summary.rowsRejected, 2);
      assert.deepEqual(summary.rejectedByReason, { too_many_fields: 2 });
      const entries = (await readFile(deadLetter, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: number; reasons: { reason: string }[] });
      assert.deepEqual(entries.map((e) => [e.line, e.reasons.map((x) => x.reason)]).sort(), [
        [3, ['too_many_fields']],
        [5, ['too_many_fields']],
      ]);
      const rss = Number(/max-rss-bytes=(\d+)/.exec(r.stderr)?.[1]);
      assert.ok(rss > 0, r.stderr);
      assert.ok(rss < 300 * 1024 * 1024, `peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
    });
  }
});
