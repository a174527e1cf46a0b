/**
 * Timestamp parsing for `listen_time` (SPEC sections 2 and 4).
 *
 * Accepted: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, optional fraction
 * of seconds, optional `Z` or `±HH:MM` / `±HHMM` offset. Hand-written rather
 * than `Date.parse` because `Date.parse` accepts impossible dates in some
 * forms, its handling of zone-less strings differs by format, and it is slow
 * on the hot path.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * True when a timestamp's separators stand where `YYYY-MM-DD[ Tt]HH:MM:SS`
 * puts them: `-` at 4 and 7, a space, `T` or `t` at 10, `:` at 13 and 16.
 */
export function hasTimestampPunctuation(s: string): boolean {
  const sep = s.charCodeAt(10);
  return (
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    (sep === 32 || sep === 84 || sep === 116) &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58
  );
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

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The parts of a timestamp; `offsetMinutes` is undefined when none was given. */
export interface TimestampParts {
  /** Milliseconds since the epoch, reading the wall clock as if it were UTC. */
  readonly wallMs: number;
  /** Offset east of UTC in minutes, when the string carried one. */
  readonly offsetMinutes: number | undefined;
}

/**
 * Parses a timestamp into its wall-clock time and optional offset.
 * Returns `undefined` for anything that is not a real calendar timestamp.
 */
export function parseTimestampParts(input: string): TimestampParts | undefined {
  const s = input.trim();
  if (s.length < 19) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    !hasTimestampPunctuation(s)
  ) {
    return undefined;
  }
  const maxDay = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return undefined;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    let scale = 100;
    while (i < s.length) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      millis += c * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return undefined;
    millis = Math.floor(millis);
  }
  let offsetMinutes: number | undefined;
  if (i < s.length) {
    const c = s.charCodeAt(i);
    if ((c === 90 || c === 122) && i === s.length - 1) {
      offsetMinutes = 0;
    } else if (c === 43 || c === 45) {
      const rest = s.length - i - 1;
      const oh = digits(s, i + 1, 2);
      let om: number;
      if (rest === 5 && s.charCodeAt(i + 3) === 58) om = digits(s, i + 4, 2);
      else if (rest === 4) om = digits(s, i + 3, 2);
      else if (rest === 2) om = 0;
      else return undefined;
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
      offsetMinutes = (c === 45 ? -1 : 1) * (oh * 60 + om);
    } else {
      return undefined;
    }
  }
  // Not Date.UTC: it maps years 0–99 to 1900–1999.
  const wallMs =
    daysFromCivil(year, month, day) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    millis;
  return { wallMs, offsetMinutes };
}

/** True when `input` is a timestamp {@link parseTimestampParts} accepts. */
export function isValidTimestamp(input: string): boolean {
  return parseTimestampParts(input) !== undefined;
}

const DAY_MS = 86_400_000;

/**
 * Bounds that keep every KPI date a 4-digit year whatever the zone: a window
 * edge at least one day inside 0000-01-01 … 9999-12-31 stays inside after
 * any UTC offset (offsets are under 24 hours).
 */
export const LISTEN_TIME_LIMITS = {
  minMs: daysFromCivil(0, 1, 2) * DAY_MS,
  maxMs: daysFromCivil(9999, 12, 31) * DAY_MS - 1,
} as const;

/** Default start of the accepted `listen_time` window: 2000-01-01T00:00:00Z. */
export const DEFAULT_LISTEN_TIME_FROM_MS = daysFromCivil(2000, 1, 1) * DAY_MS;

/**
 * The instants a `listen_time` may fall in (inclusive, ms since the epoch).
 * `toMs` undefined: one day after now, read from the clock when needed.
 */
export interface ListenTimeWindow {
  readonly fromMs: number;
  readonly toMs?: number | undefined;
}

let latestNowBound = Number.NEGATIVE_INFINITY;

/**
 * The one rule for a `listen_time`'s instant: true when `utcMs` lies inside
 * `window` (default: 2000-01-01T00:00:00Z to one day after now). Every
 * acceptor of stream rows calls it, so a row outside the window is
 * dead-lettered as `listen_time_out_of_range` on every path and no
 * impossible date (`10000-01-01`, year 0) ever reaches a KPI key.
 *
 * Zone-less times are checked as read in UTC (`parseTimestampParts`'s
 * `wallMs`); the source zone moves them by less than a day, and the window's
 * bounds are kept a day inside the 4-digit years ({@link LISTEN_TIME_LIMITS}).
 * The default upper bound reads `Date.now()` only when an instant passes the
 * last bound read, so the hot path does not ask the clock per row.
 */
export function listenTimeInWindow(utcMs: number, window?: ListenTimeWindow): boolean {
  if (!(utcMs >= (window?.fromMs ?? DEFAULT_LISTEN_TIME_FROM_MS))) return false;
  const to = window?.toMs;
  if (to !== undefined) return utcMs <= to;
  if (utcMs <= latestNowBound) return true;
  latestNowBound = Math.min(Date.now() + DAY_MS, LISTEN_TIME_LIMITS.maxMs);
  return utcMs <= latestNowBound;
}

/**
 * The instant {@link listenTimeInWindow} checks for a timestamp: with its
 * offset applied, or its wall clock read as UTC when it has none. NaN when
 * `input` is not a timestamp.
 */
export function listenTimeCheckMs(input: string): number {
  const parts = parseTimestampParts(input);
  if (parts === undefined) return Number.NaN;
  return parts.offsetMinutes === undefined
    ? parts.wallMs
    : parts.wallMs - parts.offsetMinutes * 60_000;
}
