/**
 * Hot-path `listen_time` → UTC instant, without allocating. Accepts exactly
 * what `parseTimestampParts` (time.ts) accepts for already-validated rows;
 * returns NaN for anything else so the caller can fall back to the strict
 * parser and report the row.
 */
import { PipelineError } from '../errors.js';
import type { JoinedListen } from '../join-songs.js';
import { parseTimestampParts } from '../time.js';
import type { ZoneClock } from '../zone.js';

const DAY_MS = 86_400_000;

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The UTC instant of `s`; zone-less times are read in `source`. Does not
 * re-check day-of-month ranges (the validator did); NaN on malformed input.
 */
export function listenTimeToUtc(s: string, source: ZoneClock): number {
  const len = s.length;
  if (len < 19) return Number.NaN;
  const year = d2(s, 0) * 100 + d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  if (
    (year | month | day | hour | minute | second) < 0 ||
    year < 0 ||
    d2(s, 0) < 0 ||
    d2(s, 2) < 0
  ) {
    return Number.NaN;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return Number.NaN;
  }
  let i = 19;
  let millis = 0;
  if (i < len && s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const start = i;
    while (i < len) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      millis += c * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return Number.NaN;
    millis = Math.floor(millis);
  }
  const wall =
    daysFromCivil(year, month, day) * DAY_MS +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millis;
  if (i === len) return source.wallToUtc(wall);
  const c = s.charCodeAt(i);
  if ((c === 90 || c === 122) && i === len - 1) return wall;
  if (c !== 43 && c !== 45) return Number.NaN;
  const rest = len - i - 1;
  const oh = d2(s, i + 1);
  let om: number;
  if (rest === 5 && s.charCodeAt(i + 3) === 58) om = d2(s, i + 4);
  else if (rest === 4) om = d2(s, i + 3);
  else if (rest === 2) om = 0;
  else return Number.NaN;
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
  const offset = (oh * 60 + om) * 60_000;
  return c === 45 ? wall + offset : wall - offset;
}

/** The instant of a validated `listen_time` by the strict parser (the hot parser returned NaN). */
export function strictUtc(
  row: Pick<JoinedListen, 'listenTime' | 'source' | 'line'>,
  sourceClock: ZoneClock,
): number {
  const parts = parseTimestampParts(row.listenTime);
  if (parts === undefined) {
    throw new PipelineError(
      'INVALID_LISTEN_TIME',
      `Invalid listen_time ${JSON.stringify(row.listenTime)}`,
      {
        source: row.source,
        line: row.line,
      },
    );
  }
  return parts.offsetMinutes === undefined
    ? sourceClock.wallToUtc(parts.wallMs)
    : parts.wallMs - parts.offsetMinutes * 60_000;
}
