import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type DeadLetterEntry,
  HeaderError,
  loadSongsTable,
  loadUsersTable,
  memoryDeadLetter,
  OptionsError,
  RunMetrics,
  type SourceRef,
  songsTableFromFiles,
  usersTableFromFiles,
} from '../src/index.js';
import { trackPairs } from './helpers/kpi-fixtures.js';

const SONGS_HEADER = 'track_id,track_name,duration_ms,track_genre';
const file = (key: string, text: string) => ({
  source: { id: `test://${key}`, key } as SourceRef,
  open: () => [text],
});

describe('load-reference', () => {
  it('songs from several files: the first row of a track × genre pair wins across files, bad rows dead-lettered per file', async () => {
    const sinks = new Map<string, ReturnType<typeof memoryDeadLetter>>();
    const metrics = new RunMetrics();
    const { table, files } = await songsTableFromFiles(
      [
        file('songs/a.csv', `${SONGS_HEADER}\nt1,First,1000,pop\nt2,Two,-5,pop\n`),
        file('songs/b.csv', `${SONGS_HEADER}\nt1,Second,2000,pop\nt1,First,1000,rock\n`),
      ],
      {
        deadLetter: (source) => {
          const sink = memoryDeadLetter();
          sinks.set(source.key, sink);
          return sink;
        },
        metrics,
      },
    );
    assert.equal(files, 2);
    const t1 = table.trackOf('t1');
    assert.ok(t1 >= 0);
    assert.deepEqual(trackPairs(table, 't1'), [
      ['pop', 'First', 1000],
      ['rock', 'First', 1000],
    ]);
    assert.equal(table.trackOf('t2'), -1);
    const rejected: DeadLetterEntry[] = sinks.get('songs/a.csv')!.entries as DeadLetterEntry[];
    assert.deepEqual(
      rejected.map((e) => [e.line, e.reasons[0]?.reason]),
      [[3, 'invalid_duration_ms']],
    );
    assert.equal(sinks.get('songs/a.csv')!.closed, true);
    assert.equal(sinks.get('songs/b.csv')!.closed, true);
    assert.equal(metrics.rowsRead, 4);
    assert.equal(metrics.rowsRead, metrics.rowsAggregated + metrics.rowsRejected);
  });

  it('users from files, one shared dead letter left open; no file gives no table', async () => {
    const deadLetter = memoryDeadLetter();
    const metrics = new RunMetrics();
    const users = await usersTableFromFiles(
      [
        file('users/a.csv', 'user_id,user_name\n1,a\nx,b\n'),
        file('users/b.ndjson', '{"user_id":"7"}\n'),
      ],
      { deadLetter, metrics },
    );
    assert.equal(users.files, 2);
    assert.equal(users.table?.has(1), true);
    assert.equal(users.table?.has(7), true);
    assert.equal(users.table?.has(2), false);
    assert.equal(deadLetter.entries.length, 1);
    assert.equal(deadLetter.closed, false);
    const none = await usersTableFromFiles([], { deadLetter, metrics: new RunMetrics() });
    assert.deepEqual(none, { table: undefined, files: 0 });
  });

  /** Songs CSV text: header variants, clean rows and every kind of bad row. */
  const _songsCsvArb = fc
    .record({
      header: fc.constantFrom(
        'track_id,track_name,duration_ms,track_genre',
        'artists,track_id,album,track_name,popularity,duration_ms,explicit,track_genre',
        'track_id,track_name,duration_ms,track_genre,track_name',
        ' track_id ,track_name,duration_ms,track_genre,__proto__',
      ),
      rows: fc.array(
        fc.record({
          id: fc.constantFrom('t1', 't2', ' t3', '', 't4', 'ü5'),
          name: fc.constantFrom(
            'One',
            ' Padded ',
            '',
            '"Quoted, name"',
            '"multi\nline"',
            'bad\uFFFD',
          ),
          duration: fc.constantFrom('1000', '0', '-5', '12.5', ' 7', '', '99999999999999999'),
          genre: fc.constantFrom('pop', 'rock', ' jazz', ''),
          shape: fc.constantFrom('ok', 'ok', 'ok', 'short', 'long'),
        }),
        { maxLength: 40 },
      ),
      tail: fc.constantFrom('\n', '', '\n\n', '\n"open'),
    })
    .map(({ header, rows, tail }) => {
      const names = header.split(',').map((h) => h.trim());
      const lines = rows.map((r) => {
        const value: Record<string, string> = {
          track_id: r.id,
          track_name: r.name,
          duration_ms: r.duration,
          track_genre: r.genre,
        };
        const cells = names.map((n) => value[n] ?? 'x');
        if (r.shape === 'short') cells.pop();
        if (r.shape === 'long') cells.push('extra');
        return cells.join(',');
      });
      return `${[header, ...lines].join('\n')}${tail}`;
    });

  it('loadSongsTable streams one file into a table; a header without a required column fails before any row is counted', async () => {
    const metrics = new RunMetrics();
    const deadLetter = memoryDeadLetter();
    const source = { id: 'test://songs.csv', key: 'songs.csv' };
    const table = await loadSongsTable([`${SONGS_HEADER}\nt1,One,1000,pop\nt2,Two,x,pop\n`], {
      source,
      deadLetter,
      metrics,
    });
    assert.deepEqual(trackPairs(table, 't1'), [['pop', 'One', 1000]]);
    assert.deepEqual(
      deadLetter.entries.map((e) => [e.line, e.reasons[0]?.reason]),
      [[3, 'invalid_duration_ms']],
    );
    const bad = new RunMetrics();
    await assert.rejects(
      loadSongsTable(['track_id,track_name,track_genre\nt1,One,pop\n'], {
        source,
        deadLetter,
        metrics: bad,
      }),
      (e: unknown) =>
        e instanceof HeaderError &&
        e.code === 'MISSING_COLUMNS' &&
        e.missing.includes('duration_ms'),
    );
    assert.equal(bad.rowsRead, 0);
  });

  it('loadUsersTable streams one file into a users table', async () => {
    const users = await loadUsersTable(['user_id\n3\n5\n'], {
      source: { id: 'test://users.csv', key: 'users.csv' },
      deadLetter: memoryDeadLetter(),
    });
    assert.deepEqual([users.has(3), users.has(5), users.has(4)], [true, true, false]);
  });

  it('bad options throw OptionsError naming the loader and the option, before any file is opened', async () => {
    let opened = 0;
    const open = () => {
      opened++;
      return [''];
    };
    const files = [{ source: { id: 'test://a.csv', key: 'a.csv' }, open }];
    const deadLetter = memoryDeadLetter();
    const metrics = new RunMetrics();
    const named = (factory: string, option: string) => (e: unknown) =>
      e instanceof OptionsError &&
      e.message.startsWith(`${factory}: invalid options`) &&
      e.message.includes(option);
    await assert.rejects(
      songsTableFromFiles(files, { deadLetter: {} as never, metrics }),
      named('songsTableFromFiles', '`deadLetter`'),
    );
    await assert.rejects(
      usersTableFromFiles(files, { deadLetter, metrics: {} as never }),
      named('usersTableFromFiles', '`metrics`'),
    );
    await assert.rejects(
      songsTableFromFiles(files, { deadLetter, metrics, signal: 'stop' as never }),
      named('songsTableFromFiles', '`signal`'),
    );
    assert.equal(opened, 0);
    const source = { id: 'test://a.csv', key: 'a.csv' };
    assert.throws(
      () => loadSongsTable([''], { source: { key: 'a.csv' } as never, deadLetter }),
      named('loadSongsTable', '`source`'),
    );
    assert.throws(
      () => loadUsersTable([''], { source, deadLetter, batchSize: 10 } as never),
      named('loadUsersTable', 'batchSize'),
    );
  });

  it('an abort between files rejects with the signal’s reason, closes that file’s dead letter and opens no further file', async () => {
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const opened: string[] = [];
    const sinks: ReturnType<typeof memoryDeadLetter>[] = [];
    const song = (key: string, abort: boolean) => ({
      source: { id: `test://${key}`, key },
      open: () => {
        opened.push(key);
        if (abort) controller.abort(reason);
        return [`${SONGS_HEADER}\nt1,One,1000,pop\n`];
      },
    });
    await assert.rejects(
      songsTableFromFiles([song('a.csv', false), song('b.csv', true), song('c.csv', false)], {
        deadLetter: () => {
          const sink = memoryDeadLetter();
          sinks.push(sink);
          return sink;
        },
        metrics: new RunMetrics(),
        signal: controller.signal,
      }),
      (e: unknown) => e === reason,
    );
    assert.deepEqual(opened, ['a.csv', 'b.csv']);
    assert.deepEqual(
      sinks.map((s) => s.closed),
      [true, true],
    );
  });
});
