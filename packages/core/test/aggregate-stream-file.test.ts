/**
 * aggregateStreamFile: parseFile → validateRows → joinSongs →
 * aggregateDailyKpis on the pipeline builder. The built-in CSV tokenizer
 * must give what csv-parser (the reference engine) gives on any input —
 * same state bytes, same dead-letter entries, same counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { aggregateStreamFile, finalizeKpis, RunMetrics, serializeKpiState } from '../src/index.js';
import { createJoinMetrics } from '../src/join/join-songs.js';
import { usersTableFromIds } from '../src/join/users-table.js';
import { CollectingSink, SONGS, sourceRef } from './helpers/kpi-fixtures.js';
import { chunked } from './helpers/parse.js';

const users = usersTableFromIds([1, 2, 3, 7]);

const userArb = fc.oneof(
  fc.constantFrom('1', '2', '3', '7', '42', ' 7', '7 ', '007', '0', '-1', '1.5', '', 'x'),
  fc.constantFrom('123456789012345', '1234567890123456', '9007199254740991', '9007199254740992'),
  fc.constantFrom('\u0661\u0662', '\u00a07', '"7"', '"1,2"'),
  fc.integer({ min: 1, max: 9 }).map(String),
);
const trackArb = fc.constantFrom(
  't1',
  't2',
  't3',
  'trackidlongerthan13',
  ' t1',
  't1\u00a0',
  '',
  'nope',
  '"t2"',
  'T1',
);
const timeArb = fc.oneof(
  fc.constantFrom(
    '2024-06-25 17:43:13',
    '2024-06-25T23:59:59Z',
    '2024-06-26t00:00:00.5+02:00',
    '2024-06-25 10:00:00-0330',
    '2024-06-25 10:00:00+05',
    '2024-02-29 12:00:00',
    '2023-02-29 12:00:00',
    '2024-13-45 99:00:00',
    'not-a-date',
    '',
    ' 2024-06-25 17:43:13',
    '2024-06-25 17:43:13 ',
    '2024-06-25 17:43:1',
    '2024/06/25 17:43:13',
    '0024-06-25 17:43:13',
  ),
  fc
    .date({
      min: new Date('2024-06-20T00:00:00Z'),
      max: new Date('2024-06-30T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().replace('T', ' ').slice(0, 19)),
);
const rowArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(userArb, trackArb, timeArb).map((cells) => cells.join(',')) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '1,t1', '1,t1,2024-06-25 17:43:13,extra', '\r', '"a\nb",t1,x'),
  },
  { weight: 1, arbitrary: fc.constant('1,t1,2024-06-25 17:43:13\xff') },
);
const headerArb = fc.constantFrom(
  'user_id,track_id,listen_time',
  'listen_time,user_id,track_id,country',
  ' user_id , track_id,listen_time',
  'user_id,user_id,track_id,listen_time',
);

function toBytes(text: string): Buffer {
  // '\xff' stands for a byte that is not UTF-8.
  const parts = text.split('\xff');
  return Buffer.concat(
    parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [Buffer.from([0xff]), Buffer.from(p)])),
  );
}

async function run(
  bytes: Buffer,
  csvEngine: 'fast' | 'csv-parser',
  chunk: number,
  timeZone = 'UTC',
) {
  const deadLetter = new CollectingSink();
  const metrics = new RunMetrics();
  const joinMetrics = createJoinMetrics();
  const source = sourceRef('streams/x.csv');
  const result = await aggregateStreamFile(chunked(bytes, chunk), {
    source,
    songs: SONGS,
    users,
    deadLetter,
    metrics,
    joinMetrics,
    csvEngine,
    timeZone,
    sourceTimeZone: 'America/New_York',
  });
  const summary = metrics.summary();
  return {
    state: Buffer.from(serializeKpiState(result.state)).toString('hex'),
    items: finalizeKpis(result.state),
    counts: result.counts,
    entries: [...deadLetter.entries].sort((x, y) => x.line - y.line),
    joinMetrics,
    totals: [summary.rowsRead, summary.rowsAggregated, summary.rowsRejected, summary.bytesRead],
    byReason: summary.rejectedByReason,
    stages: summary.stages.map((st) => [st.name, st.recordsIn, st.recordsOut]),
  };
}

describe('aggregate-stream-file', () => {
  it('the tokenizer gives what csv-parser gives on random dirty CSV and random chunk splits', async () => {
    await fc.assert(
      fc.asyncProperty(
        headerArb,
        fc.array(rowArb, { maxLength: 40 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom('UTC', 'Asia/Kathmandu'),
        async (header, rows, eol, openQuote, chunk, zone) => {
          const text = [header, ...rows].join(eol) + (openQuote ? `${eol}1,"t1,never closed` : eol);
          const bytes = toBytes(text);
          const fused = await run(bytes, 'fast', chunk, zone);
          assert.deepEqual(fused, await run(bytes, 'fast', 4096, zone));
          // csv-parser counts lines from its records, which lose the newlines
          // of a cell overwritten by a repeated column name.
          const names = header.split(',').map((n) => n.trim());
          if (new Set(names).size === names.length) {
            assert.deepEqual(fused, await run(bytes, 'csv-parser', 4096, zone));
          }
          assert.equal(
            fused.counts.rowsRead,
            fused.counts.rowsAggregated + fused.counts.rowsRejected,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the summary reports the records each stage took and gave', async () => {
    const lines = ['user_id,track_id,listen_time'];
    for (let i = 1; i <= 2500; i++) {
      lines.push(
        i % 7 === 0
          ? `${i},nope,2024-06-25 10:00:00`
          : i % 5 === 0
            ? `x,t1,bad`
            : `${i},t1,2024-06-25 10:00:00`,
      );
    }
    const metrics = new RunMetrics();
    const { counts } = await aggregateStreamFile(chunked(Buffer.from(lines.join('\n')), 4096), {
      source: sourceRef('s.csv'),
      songs: SONGS,
      metrics,
      deadLetter: new CollectingSink(),
    });
    const unknown = Math.floor(2500 / 7);
    const invalid = 2500 / 5 - Math.floor(2500 / 35);
    const stages = Object.fromEntries(metrics.summary().stages.map((st) => [st.name, st]));
    assert.equal(stages.parse?.recordsOut, 2500);
    assert.deepEqual(
      [stages.validate?.recordsIn, stages.validate?.recordsOut],
      [2500, 2500 - invalid],
    );
    assert.deepEqual(
      [stages.join?.recordsIn, stages.join?.recordsOut],
      [2500 - invalid, 2500 - invalid - unknown],
    );
    assert.equal(stages.aggregate?.recordsIn, 2500 - invalid - unknown);
    assert.deepEqual(
      [counts.rowsRead, counts.rowsAggregated, counts.rowsRejected],
      [2500, 2500 - invalid - unknown, invalid + unknown],
    );
  });

  it('aggregateStreamFile reads gzip, rejects a bad header before counting rows, and honours abort', async () => {
    const csv =
      'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t2,2024-06-25 11:00:00\n';
    const deadLetter = new CollectingSink();
    const { counts, state } = await aggregateStreamFile([gzipSync(csv)], {
      source: sourceRef('a.csv'),
      songs: SONGS,
      deadLetter,
    });
    assert.deepEqual([counts.rowsRead, counts.rowsAggregated], [2, 2]);
    assert.equal(finalizeKpis(state).length, 2);

    const metrics = new RunMetrics();
    await assert.rejects(
      aggregateStreamFile([Buffer.from('user_id,track\n1,t1\n')], {
        source: sourceRef('b.csv'),
        songs: SONGS,
        deadLetter,
        metrics,
      }),
      { name: 'HeaderError', code: 'MISSING_COLUMNS' },
    );
    assert.equal(metrics.rowsRead, 0);

    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      aggregateStreamFile([Buffer.from(csv)], {
        source: sourceRef('c.csv'),
        songs: SONGS,
        deadLetter,
        signal: controller.signal,
      }),
      { name: 'AbortError' },
    );
  });

  it('bad options reject before any byte is read', async () => {
    let read = false;
    const bytes = (async function* () {
      read = true;
      yield Buffer.from('user_id,track_id,listen_time\n');
    })();
    await assert.rejects(
      aggregateStreamFile(bytes, {
        source: sourceRef('x.csv'),
        songs: SONGS,
        deadLetter: new CollectingSink(),
        csvEngine: 'fused' as never,
      }),
      { code: 'INVALID_OPTIONS' },
    );
    assert.equal(read, false);
  });
});
