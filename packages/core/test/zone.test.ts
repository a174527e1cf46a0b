import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTimeZone, formatDay, parseDay, ZoneClock } from '../src/aggregate/zone.js';
import { finalizeKpis, isValidTimeZone, OptionsError, type SongRow } from '../src/index.js';
import { runKpis } from './helpers/kpi-fixtures.js';
import { dateIn } from './helpers/oracle.js';

const date = (clock: ZoneClock, iso: string) => formatDay(clock.dayOf(Date.parse(iso)));

describe('zone', () => {
  it('buckets instants by the calendar date in America/New_York across both DST changes', () => {
    const ny = new ZoneClock('America/New_York');
    assert.equal(date(ny, '2024-03-10T04:59:59Z'), '2024-03-09'); // 23:59:59 EST
    assert.equal(date(ny, '2024-03-10T05:00:00Z'), '2024-03-10'); // 00:00 EST
    assert.equal(date(ny, '2024-03-11T03:59:59Z'), '2024-03-10'); // 23:59:59 EDT
    assert.equal(date(ny, '2024-03-11T04:00:00Z'), '2024-03-11');
    assert.equal(date(ny, '2024-11-03T03:59:59Z'), '2024-11-02'); // 23:59:59 EDT
    assert.equal(date(ny, '2024-11-03T04:00:00Z'), '2024-11-03');
    assert.equal(date(ny, '2024-11-04T04:59:59Z'), '2024-11-03'); // 23:59:59 EST
    assert.equal(date(ny, '2024-11-04T05:00:00Z'), '2024-11-04');
  });

  it('honours a +05:45 zone (Asia/Kathmandu) at midnight', () => {
    const ktm = new ZoneClock('Asia/Kathmandu');
    assert.equal(date(ktm, '2024-06-24T18:14:59.999Z'), '2024-06-24');
    assert.equal(date(ktm, '2024-06-24T18:15:00Z'), '2024-06-25');
    assert.equal(ktm.offsetAt(Date.parse('2024-06-24T18:15:00Z')), 345 * 60_000);
  });

  it('cached offsets agree with Intl every 7 minutes around DST changes', () => {
    const around: [string, string][] = [
      ['America/New_York', '2024-03-09T12:00:00Z'],
      ['America/New_York', '2024-11-02T12:00:00Z'],
      ['Europe/London', '2024-03-30T12:00:00Z'],
      ['Australia/Lord_Howe', '2024-04-06T00:00:00Z'], // 30-minute DST shift
      ['Asia/Kathmandu', '2024-06-24T00:00:00Z'],
    ];
    for (const [zone, start] of around) {
      const clock = new ZoneClock(zone);
      const from = Date.parse(start);
      for (let t = from; t < from + 2 * 86_400_000; t += 7 * 60_000) {
        assert.equal(
          formatDay(clock.dayOf(t)),
          dateIn(zone, t),
          `${zone} ${new Date(t).toISOString()}`,
        );
      }
    }
  });

  it('naive times in a DST gap move forward; in an overlap take the earlier instant', () => {
    const ny = new ZoneClock('America/New_York');
    const cases = [
      // Gap: 02:30 does not exist on 2024-03-10; read as 03:30 EDT = 07:30Z.
      ['2024-03-10T02:30:00', '2024-03-10T07:30:00.000Z'],
      // Overlap: 01:30 happens twice on 2024-11-03; the first (EDT) is 05:30Z.
      ['2024-11-03T01:30:00', '2024-11-03T05:30:00.000Z'],
      // Unambiguous times around them.
      ['2024-03-10T01:59:59', '2024-03-10T06:59:59.000Z'],
      ['2024-03-10T03:00:00', '2024-03-10T07:00:00.000Z'],
      ['2024-11-03T02:00:00', '2024-11-03T07:00:00.000Z'],
    ] as const;
    for (const [wall, utc] of cases) {
      assert.equal(new Date(ny.wallToUtc(Date.parse(`${wall}Z`))).toISOString(), utc, wall);
    }
  });

  it('listens at local midnight on a DST day land on the right KPI date', async () => {
    const songs: SongRow[] = [
      { track_id: 'a', track_name: 'A', duration_ms: 1000, track_genre: 'pop' },
    ];
    const rows = [
      { user_id: 1, track_id: 'a', listen_time: '2024-03-10T04:59:59Z' },
      { user_id: 2, track_id: 'a', listen_time: '2024-03-10T00:00:00-05:00' },
      { user_id: 3, track_id: 'a', listen_time: '2024-03-10 23:59:59' }, // naive, read in New York: EDT
      { user_id: 4, track_id: 'a', listen_time: '2024-03-11 00:00:00' },
    ];
    const { state } = await runKpis(songs, rows, {
      timeZone: 'America/New_York',
      sourceTimeZone: 'America/New_York',
    });
    assert.deepEqual(
      finalizeKpis(state).map((i) => [i.date, i.listen_count]),
      [
        ['2024-03-09', 1],
        ['2024-03-10', 2],
        ['2024-03-11', 1],
      ],
    );
  });

  it('invalid zones are OptionsErrors', () => {
    assert.equal(isValidTimeZone('Europe/Paris'), true);
    assert.equal(isValidTimeZone('Europe/Atlantis'), false);
    assert.throws(() => new ZoneClock('Europe/Atlantis'), OptionsError);
    assert.throws(() => assertTimeZone('', 'sourceTimeZone'), /sourceTimeZone/);
  });

  it('formats and parses day numbers as YYYY-MM-DD', () => {
    assert.equal(formatDay(0), '1970-01-01');
    assert.equal(formatDay(-1), '1969-12-31');
    assert.equal(formatDay(19_783), '2024-03-01');
    assert.equal(parseDay('2024-02-29'), 19_782);
    assert.equal(parseDay('2023-02-29'), undefined);
    assert.equal(parseDay('2024-2-1'), undefined);
  });
});
