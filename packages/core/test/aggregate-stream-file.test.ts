/**
 * aggregateStreamFile: the fused CSV path must equal the composed stages
 * (parseFile → validateRows → joinSongs → aggregateDailyKpis) on any input —
 * same state bytes, same dead-letter entries in the same order, same counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { strictUtc } from '../src/aggregate/internal/kpi-time.js';
import { ZoneClock } from '../src/aggregate/zone.js';
import {
  aggregateStreamFile,
  createJoinMetrics,
  finalizeKpis,
  isValidTimestamp,
  RunMetrics,
  serializeKpiState,
  songsTableFromRows,
  streamRowSchema,
  usersTableFromIds,
} from '../src/index.js';
import {
  fastListenUtc,
  fastUserId,
  isTrimmedNonEmpty,
} from '../src/validate/internal/stream-row-fast.js';
import { CollectingSink, sourceRef } from './helpers/kpi-fixtures.js';
import { chunked } from './helpers/parse.js';

const songs = songsTableFromRows([
  { track_id: 't1', track_name: 'One', duration_ms: 1000, track_genre: 'pop' },
  { track_id: 't1', track_name: 'Uno', duration_ms: 1100, track_genre: 'rock' },
  { track_id: 't2', track_name: '', duration_ms: 2000, track_genre: 'pop' },
  { track_id: 'trackidlongerthan13', track_name: 'Long', duration_ms: 3000, track_genre: 'jazz' },
  { track_id: 't3', track_name: 'Three', duration_ms: 0, track_genre: 'rock' },
]);
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

async function run(bytes: Buffer, csvPath: 'fused' | 'stages', chunk: number, timeZone = 'UTC') {
  const deadLetter = new CollectingSink();
  const metrics = new RunMetrics();
  const joinMetrics = createJoinMetrics();
  const source = sourceRef('streams/x.csv');
  const result = await aggregateStreamFile(chunked(bytes, chunk), {
    source,
    songs,
    users,
    deadLetter,
    metrics,
    joinMetrics,
    csvPath,
    timeZone,
    sourceTimeZone: 'America/New_York',
  });
  const summary = metrics.summary();
  return {
    state: Buffer.from(serializeKpiState(result.state)).toString('hex'),
    items: finalizeKpis(result.state),
    counts: result.counts,
    entries: deadLetter.entries,
    joinMetrics,
    totals: [summary.rowsRead, summary.rowsAggregated, summary.rowsRejected, summary.bytesRead],
    byReason: summary.rejectedByReason,
  };
}

test('the fused path equals the composed stages on random dirty CSV and random chunk splits', async () => {
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
        const fused = await run(bytes, 'fused', chunk, zone);
        const stages = await run(bytes, 'stages', 4096, zone);
        assert.deepEqual(fused, stages);
        assert.equal(
          fused.counts.rowsRead,
          fused.counts.rowsAggregated + fused.counts.rowsRejected,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('dead letters are written per 1000-row group like the staged parser batches', async () => {
  const lines = ['user_id,track_id,listen_time'];
  for (let i = 0; i < 2500; i++)
    lines.push(i % 7 === 0 ? `${i},nope,2024-06-25 10:00:00` : `x${i},t1,bad`);
  const bytes = Buffer.from(lines.join('\n'));
  const writes: number[][] = [];
  for (const csvPath of ['fused', 'stages'] as const) {
    const sizes: number[] = [];
    await aggregateStreamFile([bytes], {
      source: sourceRef('s.csv'),
      songs,
      csvPath,
      deadLetter: { write: async (e) => void sizes.push(e.length), close: async () => {} },
    });
    writes.push(sizes);
  }
  assert.deepEqual(writes[0], writes[1]);
  assert.equal(writes[0]?.length, 6);
});

test('the fused path reads gzip, rejects a bad header before counting rows, and honours abort', async () => {
  const csv = 'user_id,track_id,listen_time\n1,t1,2024-06-25 10:00:00\n2,t2,2024-06-25 11:00:00\n';
  const deadLetter = new CollectingSink();
  const { counts, state } = await aggregateStreamFile([gzipSync(csv)], {
    source: sourceRef('a.csv'),
    songs,
    deadLetter,
  });
  assert.deepEqual([counts.rowsRead, counts.rowsAggregated], [2, 2]);
  assert.equal(finalizeKpis(state).length, 2);

  const metrics = new RunMetrics();
  await assert.rejects(
    aggregateStreamFile([Buffer.from('user_id,track\n1,t1\n')], {
      source: sourceRef('b.csv'),
      songs,
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
      songs,
      deadLetter,
      signal: controller.signal,
    }),
    { name: 'AbortError' },
  );
});

test('the fast column checks accept only what streamRowSchema accepts, with the same values', () => {
  const clock = new ZoneClock('Europe/London');
  const text = fc.oneof(
    fc.string({
      unit: fc.constantFrom('0', '1', '9', ' ', '\u00a0', '\u0663', '-', '+', '.', 'e', 'x'),
    }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
    timeArb,
    fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 39 }),
        fc.constantFrom('', 'Z', '+01:00', '-0130', '+24', '.123', '.'),
      )
      .map(
        ([y, m, d, z]) =>
          `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')} 12:30:00${z}`,
      ),
  );
  fc.assert(
    fc.property(text, (s) => {
      const id = fastUserId(s);
      if (id > 0) {
        const zod = streamRowSchema.shape.user_id.safeParse(s);
        assert.ok(zod.success, `user_id ${JSON.stringify(s)}`);
        assert.equal(zod.data, id);
      }
      if (isTrimmedNonEmpty(s)) {
        assert.equal(streamRowSchema.shape.track_id.parse(s), s);
      }
      const utc = fastListenUtc(s, clock);
      if (!Number.isNaN(utc)) {
        assert.ok(isValidTimestamp(s), `listen_time ${JSON.stringify(s)}`);
        assert.equal(
          utc,
          strictUtc({ listenTime: s, source: { id: 't', key: 't' }, line: 1 }, clock),
        );
      }
    }),
    { numRuns: 5000 },
  );
  // And the common clean forms do take the fast path.
  assert.equal(fastUserId('4027'), 4027);
  assert.ok(!Number.isNaN(fastListenUtc('2024-06-26 16:34:18', clock)));
  assert.ok(!Number.isNaN(fastListenUtc('2024-06-26T16:34:18.250+05:30', clock)));
});

test('bad options reject before any byte is read', async () => {
  let read = false;
  const bytes = (async function* () {
    read = true;
    yield Buffer.from('user_id,track_id,listen_time\n');
  })();
  await assert.rejects(
    aggregateStreamFile(bytes, {
      source: sourceRef('x.csv'),
      songs,
      deadLetter: new CollectingSink(),
      csvPath: 'fast' as never,
    }),
    { code: 'INVALID_OPTIONS' },
  );
  assert.equal(read, false);
});
