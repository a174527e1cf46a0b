import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  aggregateStreamFile,
  createAggregatePool,
  type DeadLetterEntry,
  deserializeKpiState,
  finalizeKpis,
  HeaderError,
  type KpiState,
  kpiStateDates,
  memoryDeadLetter,
  mergeKpiStateInto,
  mergeKpiStates,
  OptionsError,
  PipelineError,
  pickKpiDates,
  SongsTable,
  serializeKpiState,
  serializeKpiStateByDate,
  songsTableFromRows,
} from '../src/index.js';
import { usersTableFromIds } from '../src/join/users-table.js';

/** Dead letters in file order (their order across batches depends on batch boundaries). */
function byLine(entries: readonly DeadLetterEntry[]): DeadLetterEntry[] {
  return [...entries].sort((a, b) => a.line - b.line);
}

const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'rock' },
  { track_id: 't2', track_name: 'Two, "2"', duration_ms: 2500, track_genre: 'pop' },
]);
const users = usersTableFromIds([1, 2]);
const CSV = [
  'user_id,track_id,listen_time',
  '1,t1,2024-06-25 10:00:00',
  '2,t2,2024-06-25 11:00:00',
  '3,t2,2024-06-26T01:00:00+02:00',
  'x,t1,2024-06-25 10:00:00',
  '1,nope,2024-06-25 10:00:00',
  '',
].join('\n');

/** Several days and genres, a track with two names, ids above 2^32, bad rows. */
const WIDE_SONGS = songsTableFromRows([
  ...['pop', 'rock', 'jazz', 'folk'].flatMap((genre, g) =>
    Array.from({ length: 30 }, (_, t) => ({
      track_id: `t${t}`,
      track_name: g === 1 && t % 7 === 0 ? `Other ${t}` : `Song ${t}`,
      duration_ms: 1000 * (t + 1) + g,
      track_genre: genre,
    })),
  ),
]);
function wideCsv(file: number): string {
  const lines = ['user_id,track_id,listen_time'];
  let x = 12345 + file * 7919;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  for (let i = 0; i < 3000; i++) {
    const user = next() % 17 === 0 ? 5_000_000_000 + (next() % 50) : 1 + (next() % 400);
    const track = next() % 101 === 0 ? 'nope' : `t${next() % 40}`;
    const day = 20 + (next() % 6);
    const bad = next() % 97 === 0;
    lines.push(
      `${bad ? 'x' : user},${track},2024-06-${day} ${String(next() % 24).padStart(2, '0')}:15:00`,
    );
  }
  return `${lines.join('\n')}\n`;
}
const WIDE_FILES = 3;

/** Wide file `f` aggregated on this thread: its source, its dead letter and the result. */
async function wideDirect(f: number, uniqueListeners: 'exact' | 'hll' = 'exact') {
  const source = { id: `file://w${f}.csv`, key: `w${f}.csv` };
  const deadLetter = memoryDeadLetter();
  const d = await aggregateStreamFile([wideCsv(f)], {
    source,
    songs: WIDE_SONGS,
    deadLetter,
    uniqueListeners,
  });
  return { source, deadLetter, d };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pool-'));
  await writeFile(join(dir, 'a.csv'), CSV);
  for (let f = 0; f < WIDE_FILES; f++) await writeFile(join(dir, `w${f}.csv`), wideCsv(f));
  await writeFile(join(dir, 'bad.csv'), 'user_id,listen_time\n1,2024-06-25 10:00:00\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('aggregate-pool', () => {
  it('a pooled object yields the same partial, counts and dead letters as aggregateStreamFile', async () => {
    const source = { id: 'file://a.csv', key: 'a.csv' };
    const deadLetter = memoryDeadLetter();
    const direct = await aggregateStreamFile([CSV], { source, songs, users, deadLetter });
    const pool = createAggregatePool({ songs, users, threads: 2 });
    try {
      const pooled = await pool.aggregate(source, { path: join(dir, 'a.csv') });
      assert.deepEqual(serializeKpiState(pooled.state), serializeKpiState(direct.state));
      assert.deepEqual(pooled.counts, direct.counts);
      assert.equal(pooled.counts.rowsRead, 5);
      assert.equal(
        pooled.counts.rowsRead,
        pooled.counts.rowsAggregated + pooled.counts.rowsRejected,
      );
      assert.deepEqual(
        pooled.deadLetters.map((e) => [e.line, e.reasons[0]?.reason]),
        [
          [5, 'invalid_user_id'],
          [6, 'unknown_track'],
        ],
      );
      assert.equal(pooled.unknownUsers, 1);
      assert.ok(finalizeKpis(direct.state).length > 0);
    } finally {
      await pool.close();
    }
  });

  for (const uniqueListeners of ['exact', 'hll'] as const) {
    it(`pooled ${uniqueListeners} states (moved, not serialized) equal in-process states, counts and dead letters, and fold into the same total`, async () => {
      const pool = createAggregatePool({ songs: WIDE_SONGS, threads: 2, uniqueListeners });
      try {
        const direct: KpiState[] = [];
        const pooled: KpiState[] = [];
        let folded: KpiState | undefined;
        for (let f = 0; f < WIDE_FILES; f++) {
          const { source, deadLetter, d } = await wideDirect(f, uniqueListeners);
          const p = await pool.aggregate(source, { path: join(dir, `w${f}.csv`) });
          assert.deepEqual(serializeKpiState(p.state), serializeKpiState(d.state));
          assert.deepEqual(finalizeKpis(p.state), finalizeKpis(d.state));
          assert.deepEqual(p.counts, d.counts);
          assert.ok(p.counts.rowsRejected > 0);
          assert.deepEqual(byLine(p.deadLetters), byLine(deadLetter.entries));
          direct.push(d.state);
          pooled.push(p.state);
          const before = serializeKpiState(p.state);
          if (folded === undefined) folded = p.state;
          else {
            mergeKpiStateInto(folded, p.state);
            assert.deepEqual(
              serializeKpiState(p.state),
              before,
              'the folded-in state is unchanged',
            );
          }
        }
        const expected = mergeKpiStates(direct[0]!, ...direct.slice(1));
        assert.deepEqual(serializeKpiState(folded!), serializeKpiState(expected));
        assert.deepEqual(finalizeKpis(folded!), finalizeKpis(expected));
        assert.ok(finalizeKpis(expected).length > 20);
      } finally {
        await pool.close();
      }
    });
  }

  it('a pool thread cuts an object into the exact per-date partial bytes of the in-process state', async () => {
    const pool = createAggregatePool({ songs: WIDE_SONGS, threads: 1 });
    try {
      for (let f = 0; f < WIDE_FILES; f++) {
        const { source, deadLetter, d } = await wideDirect(f);
        const p = await pool.aggregate(
          source,
          { path: join(dir, `w${f}.csv`) },
          { result: 'partials-by-date' },
        );
        const dates = kpiStateDates(d.state);
        assert.equal(dates.length, 6);
        assert.deepEqual(
          p.partials.map((x) => x.date),
          dates,
        );
        for (const { date, bytes } of p.partials) {
          assert.deepEqual(bytes, serializeKpiState(pickKpiDates(d.state, [date])), date);
        }
        assert.deepEqual(p.counts, d.counts);
        assert.deepEqual(byLine(p.deadLetters), byLine(deadLetter.entries));
        assert.equal('state' in p, false);
      }
    } finally {
      await pool.close();
    }
  });

  it('a table read back from its bytes hands its threads the encoded track entries: v2 partials are byte for byte those of the table it was written from', async () => {
    const { songs: back } = SongsTable.fromBytes(WIDE_SONGS.toBytes());
    assert.ok(back.trackDictionary().encoded !== undefined, 'read back with its encoded entries');
    const pool = createAggregatePool({ songs: back, threads: 1 });
    try {
      const { source, d } = await wideDirect(0);
      const p = await pool.aggregate(
        source,
        { path: join(dir, 'w0.csv') },
        { result: 'partials-by-date', trackDictionary: 'reference' },
      );
      const here = serializeKpiStateByDate(d.state, { trackDictionary: 'reference' });
      assert.equal(p.partials.length, 6);
      assert.deepEqual(
        p.partials.map((x) => x.date),
        here.map((x) => x.date),
      );
      for (const [i, { date, bytes }] of p.partials.entries()) {
        assert.equal(bytes[4], 2, `${date}: format v2`);
        assert.deepEqual(bytes, here[i]!.bytes, date);
      }
    } finally {
      await pool.close();
    }
  });

  it('a custom worker module opens the bytes (as the S3 worker does)', async () => {
    const workerFile = new URL('./fixtures/pool/string-worker.ts', import.meta.url);
    const pool = createAggregatePool({ songs, threads: 1, workerFile });
    try {
      const pooled = await pool.aggregate({ id: 'mem://a', key: 'a.csv' }, CSV);
      assert.equal(pooled.counts.rowsAggregated, 3);
    } finally {
      await pool.close();
    }
  });

  it('a header error in a thread is rethrown as a HeaderError naming the missing column', async () => {
    const pool = createAggregatePool({ songs, threads: 1 });
    try {
      const source = { id: 'file://bad.csv', key: 'bad.csv' };
      await assert.rejects(pool.aggregate(source, { path: join(dir, 'bad.csv') }), (error) => {
        assert.ok(error instanceof HeaderError);
        assert.deepEqual(error.missing, ['track_id']);
        assert.equal(error.source, source);
        return true;
      });
      await assert.rejects(
        pool.aggregate({ id: 'x', key: 'x.csv' }, { path: join(dir, 'missing.csv') }),
        (error) => error instanceof PipelineError && error.code === 'ENOENT',
      );
    } finally {
      await pool.close();
    }
  });

  it('threads apply the same listen_time window as the calling thread, default or configured', async () => {
    const csv =
      'user_id,track_id,listen_time\n1,t1,1999-12-31 23:00:00\n1,t1,2024-06-25 10:00:00\n1,t1,9999-12-31T23:59:59-01:00\n';
    await writeFile(join(dir, 'window.csv'), csv);
    const source = { id: 'file://window.csv', key: 'window.csv' };
    for (const listenTimeWindow of [undefined, { from: '1990-01-01', to: '2030-01-01' }]) {
      const pool = createAggregatePool({
        songs,
        threads: 1,
        ...(listenTimeWindow === undefined ? {} : { listenTimeWindow }),
      });
      try {
        const pooled = await pool.aggregate(source, { path: join(dir, 'window.csv') });
        const here = await aggregateStreamFile([csv], {
          source,
          songs,
          deadLetter: memoryDeadLetter(),
          ...(listenTimeWindow === undefined ? {} : { listenTimeWindow }),
        });
        assert.deepEqual(pooled.counts, here.counts);
        assert.equal(
          pooled.counts.rejectedByReason.listen_time_out_of_range,
          listenTimeWindow === undefined ? 2 : 1,
        );
      } finally {
        await pool.close();
      }
    }
    assert.throws(
      () =>
        createAggregatePool({ songs, listenTimeWindow: { from: '2030-01-01', to: '2000-01-01' } }),
      OptionsError,
    );
  });

  it('bad pool options throw before any thread starts', () => {
    assert.throws(() => createAggregatePool({ songs, threads: 0 }), OptionsError);
    assert.throws(() => createAggregatePool({ songs: {} as never }), /SongsTable/);
  });

  /** Many rows, most of them rejected: several dead-letter batches per object. */
  function dirtyCsv(rows: number): string {
    const lines = ['user_id,track_id,listen_time'];
    for (let i = 0; i < rows; i++) {
      lines.push(
        i % 5 === 0 ? `${i + 1},t1,2024-06-25 10:00:00` : `bad${i},t1,2024-06-25 10:00:00`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  it('with a dead-letter sink, a thread streams rejected rows to it in file order, all written before aggregate resolves', async () => {
    const csv = dirtyCsv(9000);
    await writeFile(join(dir, 'dirty.csv'), csv);
    const source = { id: 'file://dirty.csv', key: 'dirty.csv' };
    const expected = memoryDeadLetter();
    const direct = await aggregateStreamFile([csv], { source, songs, deadLetter: expected });
    const written: unknown[] = [];
    let batches = 0;
    const slowSink = {
      async write(entries: readonly unknown[]) {
        batches++;
        // A slow sink: the thread must wait for it rather than pile rows up.
        await new Promise((resolve) => setTimeout(resolve, 5));
        written.push(...entries);
      },
      async close() {},
    };
    const pool = createAggregatePool({ songs, threads: 1 });
    try {
      const pooled = await pool.aggregate(
        source,
        { path: join(dir, 'dirty.csv') },
        { deadLetter: slowSink },
      );
      assert.deepEqual(pooled.deadLetters, []);
      assert.ok(batches > 4, `expected several batches, got ${batches}`);
      assert.equal(written.length, 7200);
      assert.deepEqual(byLine(written as DeadLetterEntry[]), byLine(expected.entries));
      assert.deepEqual(pooled.counts, direct.counts);
      assert.deepEqual(serializeKpiState(pooled.state), serializeKpiState(direct.state));
      // The same pool serves the next object (the port of the last one is closed).
      const again = await pool.aggregate(source, { path: join(dir, 'dirty.csv') });
      assert.equal(again.deadLetters.length, 7200);
    } finally {
      await pool.close();
    }
  });

  it('a dead-letter sink that fails makes aggregate reject with its error', async () => {
    await writeFile(join(dir, 'dirty2.csv'), dirtyCsv(3000));
    const pool = createAggregatePool({ songs, threads: 1 });
    try {
      const failing = {
        write: async () => {
          throw new Error('disk full');
        },
        close: async () => {},
      };
      await assert.rejects(
        pool.aggregate(
          { id: 'file://dirty2.csv', key: 'dirty2.csv' },
          { path: join(dir, 'dirty2.csv') },
          { deadLetter: failing },
        ),
        /disk full/,
      );
    } finally {
      await pool.close();
    }
  });

  it('pool.merge reads serialized partials on a thread, bound to the pool’s table: same state as reading and merging them here', async () => {
    const pool = createAggregatePool({ songs: WIDE_SONGS, threads: 2 });
    try {
      const partials: Uint8Array[] = [];
      for (let f = 0; f < WIDE_FILES; f++) {
        const { state } = await aggregateStreamFile([wideCsv(f)], {
          source: { id: `mem://w${f}`, key: `w${f}.csv` },
          songs: WIDE_SONGS,
          deadLetter: memoryDeadLetter(),
        });
        for (const date of kpiStateDates(state)) {
          partials.push(serializeKpiState(pickKpiDates(state, [date])));
        }
      }
      const here = partials.map((b) => deserializeKpiState(b));
      const expected = mergeKpiStates(here[0]!, ...here.slice(1));
      const merged = await pool.merge(partials);
      assert.deepEqual(serializeKpiState(merged), serializeKpiState(expected));
      assert.deepEqual(finalizeKpis(merged), finalizeKpis(expected));
      // Serialized and finalized on the thread: the same bytes and items.
      const stored = await pool.merge(partials, { result: 'serialized', finalize: true });
      assert.deepEqual(stored.bytes, serializeKpiState(expected));
      assert.deepEqual(stored.items, finalizeKpis(expected));
      const unfinalized = await pool.merge(partials, { result: 'serialized' });
      assert.deepEqual(unfinalized.bytes, serializeKpiState(expected));
      assert.deepEqual(unfinalized.items, []);
      // Bound to the pool's table: merges with a local state of that table.
      const local = (
        await aggregateStreamFile([wideCsv(0)], {
          source: { id: 'mem://again', key: 'again.csv' },
          songs: WIDE_SONGS,
          deadLetter: memoryDeadLetter(),
        })
      ).state;
      assert.equal(merged.sharedPrefix(local), WIDE_SONGS.trackDictionary().size);
      const corrupt = partials[0]!.slice();
      corrupt[corrupt.length - 1]! ^= 0xff;
      await assert.rejects(
        pool.merge([partials[1]!, corrupt]),
        (e: unknown) => e instanceof PipelineError && e.code === 'KPI_STATE_CORRUPT',
      );
      await assert.rejects(pool.merge([]), OptionsError);
    } finally {
      await pool.close();
    }
  });

  it('a thread that runs out of its heap limit fails that object with POOL_OUT_OF_MEMORY; the pool goes on', async () => {
    // Without a dead-letter sink the thread collects every rejected row in its heap.
    await writeFile(join(dir, 'huge-bad.csv'), dirtyCsv(400_000));
    const pool = createAggregatePool({
      songs,
      threads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    try {
      await assert.rejects(
        pool.aggregate(
          { id: 'file://huge-bad.csv', key: 'huge-bad.csv' },
          { path: join(dir, 'huge-bad.csv') },
        ),
        (e: unknown) =>
          e instanceof PipelineError &&
          e.code === 'POOL_OUT_OF_MEMORY' &&
          /maxOldGenerationSizeMb/.test(e.message),
      );
      const next = await pool.aggregate(
        { id: 'file://a.csv', key: 'a.csv' },
        { path: join(dir, 'a.csv') },
      );
      assert.equal(next.counts.rowsRead, 5);
    } finally {
      await pool.close();
    }
  });

  it('an abort rejects aggregate with the signal’s reason, mid-object or before it starts; the pool then reads the next object', async () => {
    const csv = dirtyCsv(9000);
    await writeFile(join(dir, 'aborted.csv'), csv);
    const source = { id: 'file://aborted.csv', key: 'aborted.csv' };
    const pool = createAggregatePool({ songs, threads: 1 });
    try {
      const controller = new AbortController();
      const reason = new Error('run cancelled');
      let writes = 0;
      // Aborts while the thread is reading the object: on the first dead-letter write.
      const deadLetter = {
        async write() {
          writes++;
          controller.abort(reason);
        },
        async close() {},
      };
      await assert.rejects(
        pool.aggregate(
          source,
          { path: join(dir, 'aborted.csv') },
          {
            signal: controller.signal,
            deadLetter,
          },
        ),
        (e: unknown) => e === reason,
      );
      const writesAtAbort = writes;
      await assert.rejects(
        pool.aggregate(source, { path: join(dir, 'aborted.csv') }, { signal: controller.signal }),
        (e: unknown) => e === reason,
      );
      const next = await pool.aggregate(source, { path: join(dir, 'aborted.csv') });
      assert.equal(next.counts.rowsRead, 9000);
      assert.equal(writes, writesAtAbort, 'no dead-letter write after the abort settled');
      assert.deepEqual(pool.pending(), []);
    } finally {
      await pool.close();
    }
  });
});
