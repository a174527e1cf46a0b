import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { OptionsError } from '@streamkpi/core';
import { formatSummary, summaryOfLocal } from '../src/cli/summary.js';
import { LocalInputError, runLocalKpis } from '../src/local-runner.js';
import { comparableItems, datasetOracle } from './helpers/dataset-oracle.js';
import { useGeneratedDataset } from './helpers/generated-dataset.js';

const data = useGeneratedDataset('local-runner-', {
  seed: 11,
  streamRows: 10_000,
  streamFiles: 3,
  days: 3,
  songsPerGenre: 60,
  users: 3_000,
  dirtyRate: 0.03,
});

describe('runLocalKpis', () => {
  it('equals the oracle on a dirty generated dataset and accounts for every row', async () => {
    const deadLetterPath = join(data.root, 'dead.ndjson');
    const { items, summary } = await runLocalKpis({ input: data.dir, deadLetterPath });
    const oracle = await datasetOracle(data.dir);
    assert.ok(items.length > 100);
    assert.deepEqual(items, oracle.items);

    const totals = data.manifest.streams.totals;
    assert.equal(summary.streams.rowsRead, totals.rows);
    assert.equal(summary.streams.rowsRejected, totals.dirtyRows);
    assert.equal(summary.streams.rowsAggregated, totals.validRows);
    assert.equal(summary.streams.rejectedByReason.unknown_track, totals.dirty.unknownTrack);
    assert.equal(summary.streams.rejectedByReason.ragged_row, totals.dirty.raggedRow);
    assert.equal(summary.unknownUserRows, totals.unknownUserRows);
    assert.deepEqual(summary.files, { processed: 3, rejected: 0, failed: 0 });
    assert.equal(summary.ok, true);

    const lines = (await readFile(deadLetterPath, 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, totals.dirtyRows);
    const first = JSON.parse(lines[0] as string) as { source: { key: string }; line: number };
    assert.match(first.source.key, /^streams\/streams-000\d\.csv$/);
    assert.ok(first.line >= 2);
  });

  it('reports the records of each stage (parse, validate, join, aggregate), on this thread and on a pool', async () => {
    const totals = data.manifest.streams.totals;
    for (const threads of [0, 2]) {
      const { summary } = await runLocalKpis({ input: data.dir, threads });
      const stages = Object.fromEntries(summary.streams.stages.map((st) => [st.name, st]));
      const invalid = summary.streams.rowsRejected - totals.dirty.unknownTrack;
      assert.equal(stages.parse?.recordsOut, totals.rows, `threads ${threads}`);
      assert.deepEqual(
        [stages.validate?.recordsIn, stages.validate?.recordsOut],
        [totals.rows, totals.rows - invalid],
      );
      assert.deepEqual(
        [stages.join?.recordsIn, stages.join?.recordsOut],
        [totals.rows - invalid, totals.validRows],
      );
      assert.equal(stages.aggregate?.recordsIn, totals.validRows);
    }
  });

  it('gives the same items with one file at a time as with several in parallel', async () => {
    const one = await runLocalKpis({ input: data.dir, concurrency: 1, threads: 0 });
    const four = await runLocalKpis({ input: data.dir, concurrency: 4, threads: 0 });
    assert.deepEqual(comparableItems(one.items), comparableItems(four.items));
    assert.equal(one.deadLetters?.length, data.manifest.streams.totals.dirtyRows);
  });

  it('counts unique listeners approximately with hll: other KPIs exact, listeners within 4 standard errors', async () => {
    const exact = await runLocalKpis({ input: data.dir, threads: 0 });
    const approx = await runLocalKpis({ input: data.dir, threads: 2, uniqueListeners: 'hll' });
    assert.equal(approx.items.length, exact.items.length);
    for (const [i, e] of exact.items.entries()) {
      const a = approx.items[i]!;
      assert.deepEqual(
        [
          a.date,
          a.track_genre,
          a.listen_count,
          a.total_listening_time,
          a.top_3_songs,
          a.top_5_genres,
        ],
        [
          e.date,
          e.track_genre,
          e.listen_count,
          e.total_listening_time,
          e.top_3_songs,
          e.top_5_genres,
        ],
      );
      // Precision 12: standard error ≈ 1.04 / sqrt(4096) ≈ 1.6 %.
      const bound = Math.max(2, 4 * 0.0163 * e.unique_listeners);
      assert.ok(
        Math.abs(a.unique_listeners - e.unique_listeners) <= bound,
        `${e.date} ${e.track_genre}: ${a.unique_listeners} vs ${e.unique_listeners}`,
      );
    }
  });

  it('gives the same items, counts and dead letters on worker threads as on the main thread', async () => {
    const main = await runLocalKpis({ input: data.dir, threads: 0 });
    const pooled = await runLocalKpis({ input: data.dir, threads: 2 });
    assert.deepEqual(comparableItems(pooled.items), comparableItems(main.items));
    assert.equal(pooled.summary.streams.rowsRead, main.summary.streams.rowsRead);
    assert.deepEqual(
      pooled.summary.streams.rejectedByReason,
      main.summary.streams.rejectedByReason,
    );
    assert.deepEqual(pooled.summary.streams.sources, main.summary.streams.sources);
    assert.equal(pooled.summary.unknownUserRows, main.summary.unknownUserRows);
    const key = (e: { source: { key: string }; line: number }) => `${e.source.key}:${e.line}`;
    assert.deepEqual(pooled.deadLetters?.map(key).sort(), main.deadLetters?.map(key).sort());
    // Start-up is reported; threads load their module during the run, none run without a pool.
    assert.ok(pooled.summary.phases.startupMs > 0);
    assert.ok(pooled.summary.phases.threadsReadyMs > 0);
    assert.equal(main.summary.phases.threadsReadyMs, 0);
  });

  /**
   * A dataset folder under the test root: the generated songs at `songsAt`,
   * its first stream file as `streams/a.csv`, and `files` (path → text).
   */
  async function folder(name: string, songsAt: string, files: Record<string, string>) {
    const base = join(data.root, name);
    const put = async (path: string, write: (to: string) => Promise<void>) => {
      await mkdir(dirname(join(base, path)), { recursive: true });
      await write(join(base, path));
    };
    await put(songsAt, (to) => copyFile(join(data.dir, 'songs/songs.csv'), to));
    await put('streams/a.csv', (to) => copyFile(join(data.dir, 'streams/streams-0001.csv'), to));
    for (const [path, text] of Object.entries(files)) await put(path, (to) => writeFile(to, text));
    return base;
  }

  it('reads songs.csv at the top, ignores manifest.json and non-data files, and rejects a file without a required column', async () => {
    const flat = await folder('flat', 'songs.csv', {
      'streams/README.txt': 'not data',
      'manifest.json': '{}',
      'streams/b.csv': 'user_id,track_id\n1,x\n',
    });
    const { items, summary } = await runLocalKpis({ input: flat });
    assert.deepEqual(summary.files, { processed: 1, rejected: 1, failed: 0 });
    assert.equal(summary.ok, true, 'a rejected file is handled, not a failure');
    const rejected = summary.outcomes.find((o) => o.status === 'rejected');
    assert.equal(rejected?.file, 'streams/b.csv');
    assert.equal(summary.streams.rowsRead, data.manifest.streams.files[0]?.rows);
    assert.ok(items.length > 0);
  });

  it('lists the files of the dataset folders it does not read, with why', async () => {
    const odd = await folder('odd', 'songs/songs.csv', {
      'streams/notes.txt': 'not data',
      'streams/.hidden.csv': 'user_id,track_id,listen_time\n',
      'streams/.cache/c.csv': 'user_id,track_id,listen_time\n',
    });
    await symlink(join(odd, 'streams/a.csv'), join(odd, 'streams/link.csv'));
    await symlink(join(data.dir, 'streams'), join(odd, 'streams/linked-folder'));
    const { summary } = await runLocalKpis({ input: odd, threads: 0 });
    assert.deepEqual(summary.files, { processed: 1, rejected: 0, failed: 0 });
    assert.deepEqual(summary.skipped, [
      { file: 'streams/.cache/c.csv', reason: 'hidden' },
      { file: 'streams/.hidden.csv', reason: 'hidden' },
      { file: 'streams/link.csv', reason: 'symlink' },
      { file: 'streams/linked-folder', reason: 'symlink' },
      { file: 'streams/notes.txt', reason: 'unknown_suffix' },
    ]);
    const cli = summaryOfLocal(summary, 0, []);
    assert.equal(cli.objects.skipped, 5);
    assert.match(formatSummary(cli), /skipped +streams\/linked-folder: symlink/);
  });

  it('counts a malformed file as rejected (it can never be read) and still returns the other files', async () => {
    const bad = join(data.root, 'bad');
    await mkdir(join(bad, 'streams'), { recursive: true });
    await copyFile(join(data.dir, 'songs/songs.csv'), join(bad, 'songs.csv'));
    await copyFile(join(data.dir, 'streams/streams-0002.csv'), join(bad, 'streams/good.csv'));
    await writeFile(join(bad, 'streams/broken.csv.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    const { summary } = await runLocalKpis({ input: bad });
    assert.deepEqual(summary.files, { processed: 1, rejected: 1, failed: 0 });
    assert.equal(
      summary.outcomes.find((o) => o.status === 'rejected')?.file,
      'streams/broken.csv.gz',
    );
    assert.equal(summary.ok, true);
    assert.equal(summary.streams.rowsRead, data.manifest.streams.files[1]?.rows);
  });

  it('fails with NO_SONGS when the folder has no songs and INPUT_NOT_FOUND when it does not exist', async () => {
    const empty = join(data.root, 'empty');
    await mkdir(join(empty, 'streams'), { recursive: true });
    await assert.rejects(runLocalKpis({ input: empty }), (e: unknown) => {
      assert.ok(e instanceof LocalInputError);
      assert.equal(e.code, 'NO_SONGS');
      return true;
    });
    await assert.rejects(runLocalKpis({ input: join(data.root, 'missing') }), {
      code: 'INPUT_NOT_FOUND',
    });
  });

  it('rejects bad options before reading anything', async () => {
    await assert.rejects(runLocalKpis({ input: data.dir, concurrency: 0 }), OptionsError);
  });

  it('stops with the abort reason when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await assert.rejects(runLocalKpis({ input: data.dir, signal: controller.signal }), /stop now/);
  });
});
