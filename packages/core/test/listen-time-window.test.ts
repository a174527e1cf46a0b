/**
 * A valid date or a dead letter: a `listen_time` outside the accepted window
 * (default 2000-01-01 to one day after now) is rejected as
 * `listen_time_out_of_range` on every path, so no KPI date is ever
 * `10000-01-01` or `00-1-12-31`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDay } from '../src/aggregate/zone.js';
import {
  aggregateStreamFile,
  kpiStateDates,
  OptionsError,
  RunMetrics,
  streamRowSchema,
  validateRows,
} from '../src/index.js';
import { listenTimeCheckMs, listenTimeInWindow } from '../src/validate/time.js';
import { CollectingSink, SONGS, sourceRef } from './helpers/kpi-fixtures.js';
import { chunked } from './helpers/parse.js';

const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
const GOOD = '2024-06-25 17:43:13';
const OUT_OF_RANGE = [
  '9999-12-31T23:59:59-01:00',
  '0000-01-01T00:30:00+01:00',
  '0001-01-01 00:00:00',
  '1999-12-31 23:59:59',
  '2224-06-25 17:43:13',
  '6024-06-25 17:43:13',
  '2000-01-01T00:30:00+01:00',
  inTwoDays,
];

function csv(times: readonly string[]): string {
  return `user_id,track_id,listen_time\n${times.map((t) => `1,t1,${t}`).join('\n')}\n`;
}
function ndjson(times: readonly string[]): string {
  return times
    .map((t) => JSON.stringify({ user_id: 1, track_id: 't1', listen_time: t }))
    .join('\n');
}
function json(times: readonly string[]): string {
  return JSON.stringify(times.map((t) => ({ user_id: '1', track_id: 't1', listen_time: t })));
}

const paths = [
  { name: 'CSV (fast tokenizer)', key: 'a.csv', body: csv, csvEngine: 'fast' },
  { name: 'CSV (csv-parser)', key: 'a.csv', body: csv, csvEngine: 'csv-parser' },
  { name: 'NDJSON', key: 'a.ndjson', body: ndjson, csvEngine: 'fast' },
  { name: 'JSON', key: 'a.json', body: json, csvEngine: 'fast' },
] as const;

describe('listen_time window', () => {
  for (const path of paths) {
    it(`${path.name}: out-of-range times are dead-lettered, only real 4-digit dates are kept`, async () => {
      const deadLetter = new CollectingSink();
      const times = [GOOD, ...OUT_OF_RANGE, '2000-01-01 00:00:00'];
      const { state, counts } = await aggregateStreamFile(chunked(path.body(times), 13), {
        source: sourceRef(path.key),
        songs: SONGS,
        deadLetter,
        metrics: new RunMetrics(),
        csvEngine: path.csvEngine,
        timeZone: 'Pacific/Kiritimati',
      });
      assert.deepEqual(counts.rejectedByReason, { listen_time_out_of_range: OUT_OF_RANGE.length });
      assert.equal(counts.rowsAggregated, 2);
      assert.equal(deadLetter.entries.length, OUT_OF_RANGE.length);
      assert.deepEqual(
        deadLetter.entries.map((e) => [e.line, e.reasons[0]?.reason, e.reasons[0]?.field]),
        OUT_OF_RANGE.map((_, i) => [
          i + (path.key.endsWith('.csv') ? 3 : 2),
          'listen_time_out_of_range',
          'listen_time',
        ]),
      );
      const dates = kpiStateDates(state);
      assert.deepEqual(dates, ['2000-01-01', '2024-06-26']);
      for (const d of dates) assert.notEqual(parseDay(d), undefined, d);
    });
  }

  it('the window is configurable and checked before any I/O', async () => {
    const deadLetter = new CollectingSink();
    const { counts } = await aggregateStreamFile(
      chunked(csv(['1999-12-31 23:59:59', '2024-06-25 17:43:13', '2030-01-01 00:00:01'])),
      {
        source: sourceRef('b.csv'),
        songs: SONGS,
        deadLetter,
        listenTimeWindow: { from: '1990-01-01', to: new Date('2030-01-01T00:00:00Z') },
      },
    );
    assert.equal(counts.rowsAggregated, 2);
    assert.deepEqual(counts.rejectedByReason, { listen_time_out_of_range: 1 });
    for (const listenTimeWindow of [
      { from: '2030-01-01', to: '2020-01-01' },
      { from: '-0001-01-01' },
      { to: '10000-01-01' },
      { from: 'soon' },
      { since: '2000-01-01' },
    ]) {
      assert.throws(
        () =>
          validateRows({
            dataset: 'streams',
            deadLetter,
            listenTimeWindow: listenTimeWindow as never,
          }),
        OptionsError,
        JSON.stringify(listenTimeWindow),
      );
    }
  });

  it('listenTimeInWindow is the rule: inclusive bounds, NaN out, default upper bound one day ahead', () => {
    const from = Date.UTC(2000, 0, 1);
    assert.equal(listenTimeInWindow(from), true);
    assert.equal(listenTimeInWindow(from - 1), false);
    assert.equal(listenTimeInWindow(Number.NaN), false);
    assert.equal(listenTimeInWindow(Date.now() + 86_400_000 - 60_000), true);
    assert.equal(listenTimeInWindow(Date.now() + 86_400_000 + 60_000), false);
    assert.equal(listenTimeInWindow(5, { fromMs: 0, toMs: 5 }), true);
    assert.equal(listenTimeInWindow(6, { fromMs: 0, toMs: 5 }), false);
    assert.equal(
      listenTimeCheckMs('2024-06-25T00:00:00+02:00'),
      Date.parse('2024-06-24T22:00:00Z'),
    );
    const parsed = streamRowSchema.safeParse({
      user_id: '1',
      track_id: 't',
      listen_time: OUT_OF_RANGE[0],
    });
    assert.equal(parsed.success, false);
  });
});
